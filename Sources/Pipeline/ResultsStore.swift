import Foundation
import Postgres

/// Reads what engineers ask of a batch: the `batch_summary` view, and its predictions by class.
public struct ResultsStore {
    public struct Summary: Sendable {
        public let batchID: String
        public let waferID: String?
        public let product: String?
        public let expected: Int?
        public let processed: Int
        public let deadLettered: Int
        public let needsReview: Int
        public let tail: Int
        public let classCountsJSON: String
        public let firstAt: Date?
        public let lastAt: Date?
        public let createdAt: Date

        public var isComplete: Bool { expected.map { processed + deadLettered >= $0 } ?? false }
    }

    public struct ClassRow: Sendable {
        public let className: String
        public let count: Int
        public let needsReview: Int
        public let meanConfidence: Double
        public let isTail: Bool
    }

    let connection: PostgresConnection

    public init(connection: PostgresConnection) { self.connection = connection }

    public func summary(batchID: String) throws -> Summary? {
        try connection.query("SELECT * FROM batch_summary WHERE batch_id = $1", batchID).first.map(Self.summary)
    }

    public func recent(limit: Int) throws -> [Summary] {
        try connection.query("SELECT * FROM batch_summary ORDER BY created_at DESC LIMIT $1", Int64(limit)).map(
            Self.summary)
    }

    public func classes(batchID: String) throws -> [ClassRow] {
        try connection.query(
            """
            SELECT p.class_name, count(*) AS n, count(*) FILTER (WHERE p.needs_review) AS review,
                   avg(p.confidence)::float8 AS confidence, coalesce(bool_or(c.is_tail), false) AS tail
            FROM latest_predictions p LEFT JOIN classes c USING (class_name)
            WHERE p.batch_id = $1
            GROUP BY p.class_name ORDER BY n DESC, p.class_name
            """, batchID
        ).map { row in
            ClassRow(
                className: try row.decode("class_name"), count: try row.decode("n", as: Int.self),
                needsReview: try row.decode("review", as: Int.self), meanConfidence: try row.decode("confidence"),
                isTail: try row.decode("tail"))
        }
    }

    private static func summary(_ row: PostgresRow) throws -> Summary {
        Summary(
            batchID: try row.decode("batch_id"), waferID: try row.decode("wafer_id"),
            product: try row.decode("product"), expected: try row.decode("expected", as: Int32?.self).map(Int.init),
            processed: try row.decode("processed", as: Int.self),
            deadLettered: try row.decode("dead_lettered", as: Int.self),
            needsReview: try row.decode("needs_review", as: Int.self), tail: try row.decode("tail", as: Int.self),
            classCountsJSON: try row.decode("class_counts"), firstAt: try row.decode("first_at"),
            lastAt: try row.decode("last_at"), createdAt: try row.decode("created_at"))
    }
}
