/**
 * SOAP 1.2 over HTTP for ONVIF: envelope, WS-Security header, HTTP Digest fallback, fault and status mapping.
 * Mapping rules (ONVIF Core §5.9, §5.11; SOAP 1.2 Part 2 §7.5): ter:NotAuthorized (any HTTP status) or a 401 →
 * CAMERA_AUTH_FAILED; other faults → CAMERA_REJECTED (400 when the fault blames the sender, else 502); anything that
 * is not a SOAP envelope → CAMERA_BAD_RESPONSE.
 */
import type { AppError } from '../common/errors.ts';
import { CameraErrorCode, cameraError, describeAddress } from './camera-errors.ts';
import type { DigestSession } from './http-digest.ts';
import { httpExchange } from './http-transport.ts';
import type { HttpResult } from './http-transport.ts';
import { securityHeader } from './ws-security.ts';
import { XmlParseError, child, childrenNamed, parseXml, path } from './xml.ts';
import type { XmlElement } from './xml.ts';

export interface SoapCall {
  url: string;
  /** ONVIF operation name, e.g. "GetProfiles". */
  operation: string;
  /** Namespace of the operation's WSDL; also forms the SOAP action. */
  namespace: string;
  /** Inner XML of the operation element (parameters), already escaped. */
  params?: string;
  /** Omit for PRE_AUTH operations such as GetSystemDateAndTime. */
  auth?: { username: string; password: string; cameraNowMs: () => number; digest?: DigestSession };
  signal: AbortSignal;
}

export interface SoapFaultInfo {
  code: string;
  subcodes: string[];
  reason: string;
}

function envelope(call: SoapCall): string {
  const header = call.auth ? `<s:Header>${securityHeader({ ...call.auth, cameraNowMs: call.auth.cameraNowMs() })}</s:Header>` : '';
  return (
    `<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope">${header}` +
    `<s:Body><${call.operation} xmlns="${call.namespace}">${call.params ?? ''}</${call.operation}></s:Body></s:Envelope>`
  );
}

function readFault(fault: XmlElement): SoapFaultInfo {
  const subcodes: string[] = [];
  let sub = path(fault, 'Code', 'Subcode');
  while (sub) {
    subcodes.push(child(sub, 'Value')?.text ?? '');
    sub = child(sub, 'Subcode');
  }
  // SOAP 1.1 faults (faultcode/faultstring) still come from some older firmware.
  const code = path(fault, 'Code', 'Value')?.text ?? child(fault, 'faultcode')?.text ?? '';
  const reason = childrenNamed(child(fault, 'Reason'), 'Text')[0]?.text ?? child(fault, 'faultstring')?.text ?? '';
  return { code, subcodes, reason };
}

const localPart = (qname: string): string => qname.slice(qname.indexOf(':') + 1);

function faultError(call: SoapCall, status: number, fault: SoapFaultInfo): AppError {
  const where = describeAddress(call.url);
  const details = { address: where, operation: call.operation, httpStatus: status, fault };
  const all = [fault.code, ...fault.subcodes].map(localPart);
  if (all.includes('NotAuthorized') || status === 401) {
    return cameraError(
      CameraErrorCode.AUTH_FAILED,
      `Camera at ${where} rejected the stored username or password (${call.operation}: ${fault.reason || 'not authorized'}). Check the camera's credentials.`,
      details,
    );
  }
  const tag = fault.subcodes.length ? ` (${fault.subcodes.join('/')})` : '';
  const sender = localPart(fault.code) === 'Sender' || localPart(fault.code) === 'Client';
  return cameraError(
    CameraErrorCode.REJECTED,
    `Camera at ${where} refused ${call.operation}: ${fault.reason || 'SOAP fault'}${tag}.`,
    details,
    sender ? 400 : 502,
  );
}

function badResponse(call: SoapCall, status: number, cause: string): AppError {
  const where = describeAddress(call.url);
  return cameraError(
    CameraErrorCode.BAD_RESPONSE,
    `Camera at ${where} answered ${call.operation} with something that is not an ONVIF SOAP response (HTTP ${status}, ${cause}).`,
    { address: where, operation: call.operation, httpStatus: status, cause },
  );
}

async function post(call: SoapCall, authorization?: string): Promise<HttpResult> {
  return httpExchange({
    url: call.url,
    method: 'POST',
    operation: call.operation,
    signal: call.signal,
    maxBytes: 4 << 20,
    headers: {
      // SOAP 1.2 Part 2 §7.1.4: the action travels as a media-type parameter, not a SOAPAction header.
      'content-type': `application/soap+xml; charset=utf-8; action="${call.namespace}/${call.operation}"`,
      ...(authorization ? { authorization } : {}),
    },
    body: envelope(call),
  });
}

/** Sends one ONVIF operation and returns the response element (the first child of soap:Body). */
export async function soapCall(call: SoapCall): Promise<XmlElement> {
  const digest = call.auth?.digest;
  const target = new URL(call.url);
  const requestTarget = target.pathname + target.search;
  let res = await post(call, digest?.authorization('POST', requestTarget));
  // ONVIF Core §5.9.1: a device may demand HTTP Digest instead of (or as well as) WS-UsernameToken.
  if (res.status === 401 && digest && digest.accept(res.authenticate)) {
    res = await post(call, digest.authorization('POST', requestTarget));
  }
  let doc: XmlElement;
  try {
    doc = parseXml(res.body.toString('utf8'));
  } catch (err) {
    if (res.status === 401) throw faultError(call, 401, { code: '', subcodes: [], reason: 'HTTP 401' });
    throw badResponse(call, res.status, err instanceof XmlParseError ? err.message : 'unreadable body');
  }
  const body = doc.name === 'Envelope' ? child(doc, 'Body') : undefined;
  if (!body) throw badResponse(call, res.status, `root element <${doc.name}>`);
  const first = body.children[0];
  if (first?.name === 'Fault') throw faultError(call, res.status, readFault(first));
  if (res.status === 401) throw faultError(call, 401, { code: '', subcodes: [], reason: 'HTTP 401' });
  if (res.status < 200 || res.status > 299 || !first) throw badResponse(call, res.status, first ? 'error status' : 'empty Body');
  return first;
}
