import Postgres

/// The `batches` table: one row per published wafer batch, so that progress can be measured against
/// the number of images expected.
public struct BatchStore {
    let connection: PostgresConnection

    public init(connection: PostgresConnection) { self.connection = connection }

    /// Records a batch before its messages go out. Publishing the same batch again (after a failed
    /// attempt) is allowed with the same image count; a row a worker created first (for messages that
    /// arrived from another producer) is completed.
    public func register(batchID: String, waferID: String?, product: String?, expectedImages: Int) throws {
        try connection.transaction { connection in
            try connection.execute(
                """
                INSERT INTO batches (batch_id, wafer_id, product, expected_images, origin)
                VALUES ($1, $2, $3, $4, 'publish')
                ON CONFLICT (batch_id) DO UPDATE
                    SET expected_images = EXCLUDED.expected_images, wafer_id = EXCLUDED.wafer_id,
                        product = EXCLUDED.product, origin = 'publish'
                    WHERE batches.expected_images IS NULL OR batches.origin = 'worker'
                """, batchID, waferID, product, Int32(expectedImages))
            let existing = try connection.value(
                "SELECT expected_images FROM batches WHERE batch_id = $1", batchID, as: Int32?.self)
            if let existing, Int(existing) != expectedImages {
                throw PipelineError(
                    "batch \(batchID) was already published with \(existing) images, not \(expectedImages); "
                        + "use a new batch id")
            }
        }
    }
}
