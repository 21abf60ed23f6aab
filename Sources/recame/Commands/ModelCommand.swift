import Foundation
import Pipeline
import Postgres

enum ModelCommand: Command {
    static let name = "model"
    static let summary = "register, list and activate model versions"
    static let usage = """
        usage: recame model register --file M [--version V] [--metrics JSON] [--note TEXT] [--activate]
               recame model list
               recame model activate VERSION
               (all take --database-url URL; default DATABASE_URL, else libpq's PG* variables)

        register   checks M against the checkpoint contract, stores it in PostgreSQL with its sha256, class
                   names and metrics (JSON object; default: the metrics in the checkpoint, if any) as a
                   candidate; --activate also makes it the active model. Version default: KIND-SHA12.
        list       every version with its status, kind, size, sha256 prefix and activation time
        activate   makes VERSION the active model (the previous one is retired); running workers switch
                   to it between batches
        """
    static var booleanFlags: Set<String> { ["activate"] }

    static func run(_ arguments: Arguments) throws -> Int32 {
        guard let action = arguments.positionals.first else { throw UsageError("say register, list or activate") }
        let databaseURL = arguments.databaseURL()
        switch action {
        case "register":
            let file = try arguments.required("file")
            let version = arguments.string("version")
            let metrics = arguments.string("metrics")
            let note = arguments.string("note")
            let activate = arguments.flag("activate")
            try arguments.finish(allowPositionals: arguments.positionals.count == 1)
            guard let data = FileManager.default.contents(atPath: file) else {
                throw PipelineError("cannot read model file \(file)")
            }
            if let metrics {
                guard let object = try? JSONSerialization.jsonObject(with: Data(metrics.utf8)), object is [String: Any]
                else { throw UsageError("--metrics must be a JSON object") }
            }
            let registry = ModelRegistry(connection: try connect(databaseURL))
            let name = try registry.register(
                artifact: [UInt8](data), version: version, metricsJSON: metrics ?? "{}", note: note,
                activate: activate)
            print("registered \(name)\(activate ? " (active)" : " (candidate)") from \(file)")
        case "list":
            try arguments.finish(allowPositionals: arguments.positionals.count == 1)
            let versions = try ModelRegistry(connection: try connect(databaseURL)).list()
            if versions.isEmpty {
                print("no models registered (recame model register --file M --activate)")
                return 0
            }
            let rows = versions.map { version -> [String] in
                [
                    version.version, version.status, version.kind, "\(version.classNames.count)",
                    String(format: "%.1f MB", Double(version.artifactBytes) / 1e6), String(version.sha256.prefix(12)),
                    version.activatedAt.map(Self.format) ?? "",
                ]
            }
            print(
                TextTable(header: ["version", "status", "kind", "classes", "size", "sha256", "activated"], rows: rows))
        case "activate":
            guard arguments.positionals.count == 2 else { throw UsageError("usage: recame model activate VERSION") }
            try arguments.finish(allowPositionals: true)
            let version = arguments.positionals[1]
            try ModelRegistry(connection: try connect(databaseURL)).activate(version)
            print("activated \(version)")
        default:
            throw UsageError("unknown action '\(action)' (register, list or activate)")
        }
        return 0
    }

    private static func connect(_ url: String) throws -> PostgresConnection {
        try PostgresConnection(url: url, applicationName: "recame model")
    }

    private static func format(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: date)
    }
}
