-- Least privilege for workers (ARCHITECTURE §6, issue 5): the role `recame_worker` can read the models
-- and classes it classifies with, insert predictions and dead letters, keep its heartbeat row, and
-- record the images it sees through one narrow function. It cannot change or delete results, models,
-- labels or training runs. Grant it to a login role:
--     CREATE ROLE fab_worker LOGIN PASSWORD '…' IN ROLE recame_worker;
-- Roles are cluster-wide while migrations run per database, hence the existence check.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'recame_worker') THEN
        CREATE ROLE recame_worker NOLOGIN;
    END IF;
END
$$;

-- Messages from producers other than `recame publish` arrive without batch and image rows; the worker
-- creates them here (never overwriting what exists) instead of holding INSERT on those tables.
CREATE FUNCTION record_images(rows jsonb) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    INSERT INTO batches (batch_id, origin)
    SELECT DISTINCT r ->> 'batch_id', 'worker' FROM jsonb_array_elements(rows) AS r
    ON CONFLICT (batch_id) DO NOTHING;
    INSERT INTO images (image_id, batch_id, wafer_id, uri, die_x, die_y, product, captured_at, extra)
    SELECT DISTINCT ON (r ->> 'image_id')
           r ->> 'image_id', r ->> 'batch_id', r ->> 'wafer_id', r ->> 'uri', (r ->> 'die_x')::integer,
           (r ->> 'die_y')::integer, r ->> 'product', (r ->> 'captured_at')::timestamptz,
           coalesce(r -> 'extra', '{}'::jsonb)
    FROM jsonb_array_elements(rows) AS r
    ON CONFLICT (image_id) DO NOTHING;
$$;
REVOKE ALL ON FUNCTION record_images(jsonb) FROM PUBLIC;

GRANT USAGE ON SCHEMA public TO recame_worker;
GRANT SELECT ON model_versions, classes TO recame_worker;
GRANT INSERT ON predictions, dead_letters TO recame_worker;
GRANT USAGE ON SEQUENCE predictions_id_seq, dead_letters_id_seq TO recame_worker;
-- The heartbeat is an upsert of the worker's own row; ON CONFLICT DO UPDATE needs SELECT too.
GRANT SELECT, INSERT, UPDATE ON worker_heartbeats TO recame_worker;
GRANT EXECUTE ON FUNCTION record_images(jsonb) TO recame_worker;
