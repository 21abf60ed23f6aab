import Foundation
import Postgres
import ReCAME
import Tensor

/// The `model_versions` table: every model artifact with its sha256, class names and metrics; at most
/// one active. Artifacts are verified on the way in (the checkpoint contract) and on the way out
/// (sha256 and the contract again), so a corrupt model can never replace a good one in a worker.
public struct ModelRegistry {
    public struct Version: Sendable {
        public let version: String
        public let status: String
        public let kind: String
        public let sha256: String
        public let classNames: [String]
        public let metricsJSON: String
        public let artifactBytes: Int
        public let createdAt: Date
        public let activatedAt: Date?
    }

    /// A verified artifact, ready to build a classifier from.
    public struct LoadedModel: Sendable {
        public let version: String
        public let sha256: String
        public let checkpoint: Checkpoint
    }

    let connection: PostgresConnection

    public init(connection: PostgresConnection) { self.connection = connection }

    /// Stores an artifact after checking it against the checkpoint contract. The version defaults to
    /// `<kind>-<first 12 hex digits of its sha256>`, so registering the same file twice is refused by
    /// name rather than stored twice.
    @discardableResult
    public func register(
        artifact bytes: [UInt8], version: String? = nil, metricsJSON: String = "{}", note: String? = nil,
        parentVersion: String? = nil, activate: Bool = false
    ) throws -> String {
        let checkpoint = try Checkpoint(file: try SafetensorsFile(bytes: bytes))
        let digest = SHA256.hexDigest(bytes)
        let kind = checkpoint.configuration.kind.rawValue
        let name = version ?? "\(kind)-\(digest.prefix(12))"
        try connection.transaction { connection in
            if let existing = try connection.query("SELECT version FROM model_versions WHERE sha256 = $1", digest)
                .first
            {
                throw PipelineError(
                    "this artifact is already registered as \(try existing.decode("version", as: String.self))")
            }
            try connection.execute(
                """
                INSERT INTO model_versions (version, status, kind, sha256, artifact, class_names, metrics, note,
                                            parent_version)
                VALUES ($1, 'candidate', $2, $3, $4, $5, $6, $7, $8)
                """, name, kind, digest, PostgresValue.bytes(bytes), checkpoint.configuration.classNames,
                PostgresValue.json(metricsJSON), note, parentVersion)
            // Rare classes are reviewed on every prediction and counted as tail in batch summaries;
            // an engineer may mark more classes in the table, registration only adds.
            if let tail = ClassPolicy.defaultTail(trainCounts: checkpoint.configuration.trainCounts) {
                let names = zip(checkpoint.configuration.classNames, tail).filter(\.1).map(\.0)
                try connection.execute(
                    "UPDATE classes SET is_tail = true WHERE class_name = ANY($1) AND NOT is_tail", names)
            }
            if activate { try self.activate(name, in: connection) }
        }
        return name
    }

    /// Makes `version` the active model (retiring the one before) in one transaction; the table's
    /// trigger sends `NOTIFY recame_model` so that workers swap between batches.
    public func activate(_ version: String) throws {
        try connection.transaction { connection in try self.activate(version, in: connection) }
    }

    private func activate(_ version: String, in connection: PostgresConnection) throws {
        let status = try connection.query(
            "SELECT status FROM model_versions WHERE version = $1 FOR UPDATE", version
        ).first.map { try $0.decode("status", as: String.self) }
        guard let status else { throw PipelineError("no model version '\(version)'") }
        guard status != "rejected" else { throw PipelineError("model \(version) was rejected and cannot be activated") }
        guard status != "active" else { return }
        try connection.execute("UPDATE model_versions SET status = 'retired' WHERE status = 'active'")
        try connection.execute("UPDATE model_versions SET status = 'active' WHERE version = $1", version)
    }

    public func list() throws -> [Version] {
        try connection.query(
            """
            SELECT version, status, kind, sha256, class_names, metrics::text AS metrics, artifact_bytes, created_at,
                   activated_at
            FROM model_versions ORDER BY created_at, version
            """
        ).map { row in
            Version(
                version: try row.decode("version"), status: try row.decode("status"), kind: try row.decode("kind"),
                sha256: try row.decode("sha256"), classNames: try row.decode("class_names"),
                metricsJSON: try row.decode("metrics"), artifactBytes: try row.decode("artifact_bytes", as: Int.self),
                createdAt: try row.decode("created_at"), activatedAt: try row.decode("activated_at"))
        }
    }

    public func activeVersion() throws -> String? {
        try connection.query("SELECT version FROM model_versions WHERE status = 'active'").first.map {
            try $0.decode("version", as: String.self)
        }
    }

    /// Loads and verifies an artifact: its bytes must hash to the recorded sha256 and satisfy the
    /// checkpoint contract. Throws naming the version and the fault otherwise.
    public func load(_ version: String) throws -> LoadedModel {
        guard
            let row = try connection.query(
                "SELECT sha256, artifact FROM model_versions WHERE version = $1", version
            ).first
        else { throw PipelineError("no model version '\(version)'") }
        let recorded: String = try row.decode("sha256")
        let bytes: [UInt8] = try row.decode("artifact")
        let actual = SHA256.hexDigest(bytes)
        guard actual == recorded else {
            throw PipelineError("model \(version) is corrupt: sha256 is \(actual), registered as \(recorded)")
        }
        do {
            return LoadedModel(
                version: version, sha256: actual, checkpoint: try Checkpoint(file: try SafetensorsFile(bytes: bytes)))
        } catch {
            throw PipelineError("model \(version) violates the checkpoint contract: \(error)")
        }
    }
}
