import Foundation
import Postgres

/// The `worker_heartbeats` table: each worker's latest sign of life, throughput, lag per partition and
/// model, so that `recame status` can tell live workers from dead ones without asking Kafka.
public struct HeartbeatStore {
    public struct Heartbeat: Sendable {
        public let workerID: String
        public let hostname: String
        public let pid: Int
        public let group: String?
        public let startedAt: Date
        public let lastSeenAt: Date
        public let stoppedAt: Date?
        public let processed: Int
        public let imagesPerSecond: Double?
        public let lagJSON: String
        public let modelVersion: String?
    }

    let connection: PostgresConnection

    public init(connection: PostgresConnection) { self.connection = connection }

    public func beat(
        workerID: String, group: String, startedAt: Date, processed: Int, imagesPerSecond: Double,
        lag: [String: Int64], modelVersion: String?, stopped: Bool = false
    ) throws {
        let lagJSON = String(
            decoding: try JSONSerialization.data(
                withJSONObject: lag.mapValues { NSNumber(value: $0) }, options: [.sortedKeys]),
            as: UTF8.self)
        try connection.execute(
            """
            INSERT INTO worker_heartbeats (worker_id, hostname, pid, consumer_group, started_at, last_seen_at,
                                           stopped_at, processed, images_per_second, lag, model_version)
            VALUES ($1, $2, $3, $4, $5, now(), CASE WHEN $6 THEN now() END, $7, $8, $9, $10)
            ON CONFLICT (worker_id) DO UPDATE SET
                last_seen_at = now(), stopped_at = EXCLUDED.stopped_at, processed = EXCLUDED.processed,
                images_per_second = EXCLUDED.images_per_second, lag = EXCLUDED.lag,
                model_version = EXCLUDED.model_version
            """, workerID, ProcessInfo.processInfo.hostName, Int32(getpid()), group, startedAt, stopped,
            Int64(processed), max(0, imagesPerSecond), PostgresValue.json(lagJSON), modelVersion)
    }

    /// Running workers first, then stopped ones, most recently seen first.
    public func all() throws -> [Heartbeat] {
        try connection.query(
            """
            SELECT worker_id, hostname, pid, consumer_group, started_at, last_seen_at, stopped_at, processed,
                   images_per_second, lag::text AS lag, model_version
            FROM worker_heartbeats ORDER BY (stopped_at IS NULL) DESC, last_seen_at DESC
            """
        ).map { row in
            Heartbeat(
                workerID: try row.decode("worker_id"), hostname: try row.decode("hostname"),
                pid: Int(try row.decode("pid", as: Int32.self)), group: try row.decode("consumer_group"),
                startedAt: try row.decode("started_at"), lastSeenAt: try row.decode("last_seen_at"),
                stoppedAt: try row.decode("stopped_at"), processed: try row.decode("processed", as: Int.self),
                imagesPerSecond: try row.decode("images_per_second", as: Float?.self).map(Double.init),
                lagJSON: try row.decode("lag"), modelVersion: try row.decode("model_version"))
        }
    }
}
