-- Province link (services/province, docs/province-link.md): an outbox of NGSI-LD entities for the province's context
-- broker (at-least-once, idempotent message ids, retried with backoff) and the bulletins the province sent in.

CREATE TABLE province_outbox (
  id              text PRIMARY KEY,           -- idempotent message id: entity id + '@' + content hash
  entity_id       text NOT NULL,
  entity_type     text NOT NULL,
  body            jsonb NOT NULL,
  status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'rejected', 'superseded')),
  created_at      timestamptz NOT NULL DEFAULT now(),
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  last_error      text,
  delivered_at    timestamptz
);
CREATE INDEX province_outbox_due_idx ON province_outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX province_outbox_entity_idx ON province_outbox (entity_id, created_at);

-- The latest content put in the outbox per entity: an unchanged entity is not sent again.
CREATE TABLE province_exported (
  entity_id  text PRIMARY KEY,
  body_hash  text NOT NULL,
  message_id text NOT NULL,
  at         timestamptz NOT NULL DEFAULT now()
);

-- Bulletins the province's radio system sent (Circular 39/2020/TT-BTTTT priorities) and what the ward did with them.
CREATE TABLE province_broadcasts (
  id            text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9._-]{0,39}$'),
  broadcast_id  text NOT NULL,                -- the ward broadcast that airs it ('prov-' + id)
  priority      text NOT NULL CHECK (priority IN ('normal', 'priority', 'emergency')),
  title         text NOT NULL,
  audio_url     text NOT NULL,
  audio_id      text,
  sha256        text NOT NULL,
  zone_ids      text[] NOT NULL DEFAULT '{}',
  cluster_ids   text[] NOT NULL DEFAULT '{}',
  volume        integer,
  status        text NOT NULL CHECK (status IN ('awaiting_operator', 'dispatched', 'scheduled', 'declined')),
  received_at   timestamptz NOT NULL DEFAULT now(),
  received_from text NOT NULL,
  decided_by    text,
  decided_at    timestamptz,
  note          text
);
CREATE UNIQUE INDEX province_broadcasts_broadcast_idx ON province_broadcasts (broadcast_id);
