-- 0001_init: the schema of the whole product (ARCHITECTURE §1, §6, §7, §10).
--
-- Applied by `recame migrate` in one transaction and checksummed: never edit this file once it has been
-- applied anywhere; put changes in 0002_… and later files.
--
-- Conventions: ids that come from outside (batch, image, wafer, model version) are text, as the messages
-- carry them; times are timestamptz (sessions run in UTC); every free-form document is jsonb and must be a
-- JSON object, so that queries can use ->> without type surprises. Foreign keys are declared wherever the
-- writer can satisfy them inside its own transaction: the worker upserts the batch and image rows together
-- with the predictions, because a message published by another tool (kcat) has no batch row yet.
-- Nothing cascades on delete: removing a batch must not silently take confirmed labels with it.

-- A wafer batch as published. `recame publish` creates it with the expected image count; a worker that
-- meets an unknown batch_id creates it with expected_images NULL ("unknown") and origin 'worker'.
CREATE TABLE batches (
    batch_id        text PRIMARY KEY CHECK (batch_id <> ''),
    wafer_id        text,                  -- NULL when a batch spans several wafers (manifest per image)
    product         text,
    expected_images integer CHECK (expected_images >= 0),
    origin          text NOT NULL DEFAULT 'publish' CHECK (origin IN ('publish', 'worker')),
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- One row per image reference ever consumed (first writer wins on a replay or a re-publish).
CREATE TABLE images (
    image_id      text PRIMARY KEY CHECK (image_id <> ''),
    batch_id      text NOT NULL REFERENCES batches (batch_id),
    wafer_id      text NOT NULL CHECK (wafer_id <> ''),
    uri           text NOT NULL CHECK (uri <> ''),
    die_x         integer,
    die_y         integer,
    product       text,
    captured_at   timestamptz,
    -- Message fields this version does not know: kept, not rejected (ARCHITECTURE §5).
    extra         jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(extra) = 'object'),
    first_seen_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX images_batch_id ON images (batch_id);

-- The defect classes known to the product. Rows appear by themselves when a model is registered (see
-- the trigger on model_versions), so predictions and labels can reference them. Engineers curate the rest:
-- which classes are the long tail and how confident a prediction must be not to need a human.
CREATE TABLE classes (
    class_name       text PRIMARY KEY CHECK (class_name <> ''),
    description      text,
    is_tail          boolean NOT NULL DEFAULT false,
    -- Per-class calibrated-confidence threshold below which a prediction needs review (NULL: the
    -- worker's default).
    review_threshold real CHECK (review_threshold BETWEEN 0 AND 1),
    created_at       timestamptz NOT NULL DEFAULT now()
);

-- The model registry. The artifact is the safetensors checkpoint itself, so that every worker loads
-- exactly the bytes that were evaluated; sha256 is checked at load.
CREATE TABLE model_versions (
    version        text PRIMARY KEY CHECK (version ~ '^[A-Za-z0-9][A-Za-z0-9._:+-]*$'),
    status         text NOT NULL DEFAULT 'candidate'
                   CHECK (status IN ('candidate', 'active', 'retired', 'rejected')),
    kind           text NOT NULL CHECK (kind IN ('ensemble', 'student')),
    sha256         text NOT NULL UNIQUE CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    artifact       bytea NOT NULL,
    -- Listing models should not read the artifact to show its size.
    artifact_bytes bigint GENERATED ALWAYS AS (octet_length(artifact)) STORED,
    class_names    text[] NOT NULL
                   CHECK (cardinality(class_names) >= 2 AND array_ndims(class_names) = 1
                          AND array_position(class_names, NULL) IS NULL),
    -- Evaluation results (accuracy, macro_f1, per-class recall, shot groups …), a JSON object.
    metrics        jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metrics) = 'object'),
    -- The version this one was fine-tuned or distilled from (lineage of retraining).
    parent_version text REFERENCES model_versions (version),
    note           text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    activated_at   timestamptz,
    CHECK (status <> 'active' OR activated_at IS NOT NULL)
);
-- At most one active model. Promotion is two statements in one transaction (retire the old, then
-- activate the new): a single UPDATE that swaps both could trip this index row by row.
CREATE UNIQUE INDEX model_versions_one_active ON model_versions ((true)) WHERE status = 'active';

-- Retraining runs (manual, on a schedule, or triggered by new confirmed tail samples) and their outcome.
CREATE TABLE training_runs (
    id                bigserial PRIMARY KEY,
    trigger           text NOT NULL CHECK (trigger IN ('manual', 'interval', 'samples')),
    status            text NOT NULL DEFAULT 'running'
                      CHECK (status IN ('running', 'promoted', 'rejected', 'failed', 'skipped')),
    base_version      text REFERENCES model_versions (version),
    candidate_version text REFERENCES model_versions (version),
    samples           integer CHECK (samples >= 0),   -- confirmed labels used
    started_at        timestamptz NOT NULL DEFAULT now(),
    finished_at       timestamptz,
    -- Gate inputs and results (holdout accuracy and tail recall before/after, margins), a JSON object.
    metrics           jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metrics) = 'object'),
    error             text,
    hostname          text,
    pid               integer,
    CHECK ((status = 'running') = (finished_at IS NULL)),
    CHECK (finished_at IS NULL OR finished_at >= started_at),
    CHECK (status <> 'failed' OR error IS NOT NULL)
);
-- "Confirmed samples since the last run" looks up the latest run.
CREATE INDEX training_runs_started_at ON training_runs (started_at);

-- One row per image and model version: the unique key makes a replayed Kafka message (after a crash,
-- before its offset was committed) write nothing twice: INSERT … ON CONFLICT (image_id, model_version)
-- DO NOTHING (ARCHITECTURE §6).
CREATE TABLE predictions (
    id               bigserial PRIMARY KEY,
    image_id         text NOT NULL REFERENCES images (image_id),
    batch_id         text NOT NULL REFERENCES batches (batch_id),
    model_version    text NOT NULL REFERENCES model_versions (version),
    class_name       text NOT NULL REFERENCES classes (class_name),
    class_index      integer NOT NULL CHECK (class_index >= 0),
    -- Calibrated probability of class_name (softmax of mean logits / T).
    confidence       real NOT NULL CHECK (confidence BETWEEN 0 AND 1),
    -- All calibrated probabilities, in the model's class order.
    probabilities    real[] NOT NULL
                     CHECK (array_ndims(probabilities) = 1 AND cardinality(probabilities) > class_index
                            AND array_position(probabilities, NULL) IS NULL),
    -- Fraction of experts whose own top class equals the ensemble's (NULL for a single-backbone student).
    expert_agreement real CHECK (expert_agreement BETWEEN 0 AND 1),
    needs_review     boolean NOT NULL DEFAULT false,
    kafka_topic      text,
    kafka_partition  integer CHECK (kafka_partition >= 0),
    kafka_offset     bigint CHECK (kafka_offset >= 0),
    -- The Kafka message timestamp: created_at minus this is the publish-to-row latency.
    kafka_timestamp  timestamptz,
    worker_id        text,
    -- now() is the writing transaction's start: one batch of a worker shares one created_at.
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (image_id, model_version)
);
CREATE INDEX predictions_batch_id ON predictions (batch_id);
CREATE INDEX predictions_created_at ON predictions (created_at);
CREATE INDEX predictions_model_version ON predictions (model_version);
-- The review queue is small compared with the table: index only its rows.
CREATE INDEX predictions_needs_review ON predictions (created_at) WHERE needs_review;

-- Engineer-confirmed classes: the ground truth for retraining. One current label per image; a correction
-- updates it (and moves confirmed_at, so the next run picks it up). The holdout flag decides once and for
-- all whether the image is evaluation-only (see labels_assign_holdout).
CREATE TABLE labels (
    image_id      text PRIMARY KEY REFERENCES images (image_id),
    class_name    text NOT NULL REFERENCES classes (class_name),
    confirmed_by  text NOT NULL CHECK (confirmed_by <> ''),
    confirmed_at  timestamptz NOT NULL DEFAULT now(),
    holdout       boolean NOT NULL,
    -- The prediction the engineer looked at, when confirming from the review queue.
    prediction_id bigint REFERENCES predictions (id),
    note          text
);
CREATE INDEX labels_confirmed_at ON labels (confirmed_at);
CREATE INDEX labels_class_name ON labels (class_name);

-- Messages that could not be classified (not JSON, missing ids, unreadable or oversized image …), kept
-- with the reason so that their offsets can be committed: a poison message never stalls a partition.
-- The unique key makes a replay write nothing twice.
CREATE TABLE dead_letters (
    id              bigserial PRIMARY KEY,
    topic           text NOT NULL CHECK (topic <> ''),
    kafka_partition integer NOT NULL CHECK (kafka_partition >= 0),
    kafka_offset    bigint NOT NULL CHECK (kafka_offset >= 0),
    kafka_key       bytea,
    payload         bytea,                 -- NULL for a message without a value
    reason          text NOT NULL CHECK (reason <> ''),
    -- Parsed from the payload when possible (no foreign key: a broken message may name no real batch),
    -- so that batch_summary can count a batch's dead letters.
    batch_id        text,
    image_id        text,
    worker_id       text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (topic, kafka_partition, kafka_offset)
);
CREATE INDEX dead_letters_created_at ON dead_letters (created_at);
CREATE INDEX dead_letters_batch_id ON dead_letters (batch_id) WHERE batch_id IS NOT NULL;

-- Live workers, upserted every few seconds, for `recame status`.
CREATE TABLE worker_heartbeats (
    worker_id         text PRIMARY KEY CHECK (worker_id <> ''),
    hostname          text NOT NULL,
    pid               integer NOT NULL CHECK (pid > 0),
    consumer_group    text,
    started_at        timestamptz NOT NULL,
    last_seen_at      timestamptz NOT NULL DEFAULT now(),
    -- Set on a clean exit, so that a worker that stopped is not mistaken for one that died.
    stopped_at        timestamptz,
    processed         bigint NOT NULL DEFAULT 0 CHECK (processed >= 0),
    images_per_second real CHECK (images_per_second >= 0),
    -- Consumer lag per partition, e.g. {"0": 12, "3": 0}.
    lag               jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(lag) = 'object'),
    -- No foreign key: a worker running a --model-file must still be able to report.
    model_version     text
);

-- Registering a model makes its classes known, so that every path that registers one (CLI, retrainer,
-- plain SQL) satisfies the foreign keys of predictions and labels.
CREATE FUNCTION model_versions_register_classes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO classes (class_name)
    SELECT DISTINCT name FROM unnest(NEW.class_names) AS name
    ON CONFLICT (class_name) DO NOTHING;
    RETURN NULL;
END
$$;
CREATE TRIGGER model_versions_register_classes
    AFTER INSERT OR UPDATE OF class_names ON model_versions
    FOR EACH ROW EXECUTE FUNCTION model_versions_register_classes();

-- Activation stamps activated_at, and tells listening workers (LISTEN recame_model, payload: the version)
-- to load the new model between batches. NOTIFY is transactional: it is delivered when the promotion
-- commits, never for a promotion that rolled back, whoever promoted (CLI, retrainer or SQL).
CREATE FUNCTION model_versions_activation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'active' AND (TG_OP = 'INSERT' OR OLD.status IS DISTINCT FROM 'active') THEN
        NEW.activated_at := coalesce(NEW.activated_at, now());
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER model_versions_activation
    BEFORE INSERT OR UPDATE OF status ON model_versions
    FOR EACH ROW EXECUTE FUNCTION model_versions_activation();

CREATE FUNCTION model_versions_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'active' AND (TG_OP = 'INSERT' OR OLD.status IS DISTINCT FROM 'active') THEN
        PERFORM pg_notify('recame_model', NEW.version);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER model_versions_notify
    AFTER INSERT OR UPDATE OF status ON model_versions
    FOR EACH ROW EXECUTE FUNCTION model_versions_notify();

-- The holdout is fixed per image: an image chosen for evaluation must never be trained on, or the gate
-- would measure memory. When the writer does not say, about one image in five (by a stable hash of the
-- image id, the same on every server) is held out; once set, the flag cannot change.
CREATE FUNCTION labels_assign_holdout() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.holdout IS NULL THEN
            NEW.holdout := ('x' || substr(md5(NEW.image_id), 1, 8))::bit(32)::bigint % 5 = 0;
        END IF;
    ELSIF NEW.holdout IS DISTINCT FROM OLD.holdout THEN
        RAISE EXCEPTION 'the holdout flag of image % cannot change once set', OLD.image_id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER labels_assign_holdout
    BEFORE INSERT OR UPDATE ON labels
    FOR EACH ROW EXECUTE FUNCTION labels_assign_holdout();

-- The prediction an engineer sees for an image: the most recent one (normally by the newest model).
CREATE VIEW latest_predictions AS
SELECT DISTINCT ON (image_id) *
FROM predictions
ORDER BY image_id, created_at DESC, id DESC;

-- Per batch: how far it is, what was found and what needs a human (ARCHITECTURE §10). Built per batch
-- with LATERAL so that `WHERE batch_id = …` reads only that batch's rows.
CREATE VIEW batch_summary AS
SELECT b.batch_id,
       b.wafer_id,
       b.product,
       b.expected_images AS expected,
       coalesce(p.processed, 0) AS processed,
       coalesce(d.dead_lettered, 0) AS dead_lettered,
       coalesce(p.needs_review, 0) AS needs_review,
       coalesce(p.tail, 0) AS tail,
       coalesce(p.class_counts, '{}'::jsonb) AS class_counts,
       p.first_at,
       p.last_at,
       b.created_at
FROM batches b
LEFT JOIN LATERAL (
    SELECT count(*) AS processed,
           count(*) FILTER (WHERE latest.needs_review) AS needs_review,
           count(*) FILTER (WHERE c.is_tail) AS tail,
           (SELECT jsonb_object_agg(counts.class_name, counts.n)
              FROM (SELECT l2.class_name, count(*) AS n
                      FROM (SELECT DISTINCT ON (image_id) class_name
                              FROM predictions
                             WHERE batch_id = b.batch_id
                             ORDER BY image_id, created_at DESC, id DESC) l2
                     GROUP BY l2.class_name) counts) AS class_counts,
           min(latest.created_at) AS first_at,
           max(latest.created_at) AS last_at
    FROM (SELECT DISTINCT ON (image_id) class_name, needs_review, created_at
            FROM predictions
           WHERE batch_id = b.batch_id
           ORDER BY image_id, created_at DESC, id DESC) latest
    LEFT JOIN classes c ON c.class_name = latest.class_name
) p ON true
LEFT JOIN LATERAL (
    SELECT count(*) AS dead_lettered FROM dead_letters WHERE batch_id = b.batch_id
) d ON true;
