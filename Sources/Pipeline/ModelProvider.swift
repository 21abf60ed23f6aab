import Foundation
import Postgres

/// Where a worker's model comes from: the registry's active version (reloaded when a promotion is
/// announced), or a fixed file (registered by its sha256 so that prediction rows can name it).
public final class ModelProvider: @unchecked Sendable {
    public enum Source: Sendable {
        case registry
        case file(String)
    }

    public let source: Source
    public let reviewThreshold: Float
    public private(set) var current: ImageClassifier?

    public init(source: Source, reviewThreshold: Float) {
        self.source = source
        self.reviewThreshold = reviewThreshold
    }

    /// Loads (or reloads) the model. On any failure the current model stays in place and the error
    /// is thrown for the caller to log.
    public func load(from connection: PostgresConnection) throws {
        let registry = ModelRegistry(connection: connection)
        let version: String
        switch source {
        case .registry:
            guard let active = try registry.activeVersion() else {
                throw PipelineError(
                    "no active model in the registry: register one with `recame model register --file M --activate` "
                        + "or pass --model-file")
            }
            if active == current?.version { return }
            version = active
        case .file(let path):
            if current != nil { return }
            guard let data = FileManager.default.contents(atPath: path) else {
                throw PipelineError("cannot read model file \(path)")
            }
            let bytes = [UInt8](data)
            let digest = SHA256.hexDigest(bytes)
            if let known = try connection.query("SELECT version FROM model_versions WHERE sha256 = $1", digest).first {
                version = try known.decode("version")
            } else {
                version = try registry.register(
                    artifact: bytes, note: "registered by a worker for --model-file \(path)")
            }
        }
        let loaded = try registry.load(version)
        current = try ImageClassifier(
            model: loaded,
            classes: try ClassPolicy.load(
                connection: connection, classNames: loaded.checkpoint.configuration.classNames,
                trainCounts: loaded.checkpoint.configuration.trainCounts, defaultThreshold: reviewThreshold))
    }
}
