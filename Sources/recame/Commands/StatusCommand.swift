import Foundation
import Pipeline
import Postgres

enum StatusCommand: Command {
    static let name = "status"
    static let summary = "show live workers, lag and the active model"
    static let usage = """
        usage: recame status [--stale S] [--database-url URL]

        The active model, then every worker that has sent a heartbeat: live (seen within S seconds and
        not stopped), stale (silent for longer: crashed or hung) or stopped; each with its throughput, the
        messages it has processed, its lag per partition at its last batch, and its model.

          --stale S          seconds of silence after which a worker counts as stale (default 30)
          --database-url U   PostgreSQL (default: DATABASE_URL, else libpq's PG* variables)
        """

    static func run(_ arguments: Arguments) throws -> Int32 {
        let stale = try arguments.double("stale", default: 30)
        let databaseURL = arguments.databaseURL()
        try arguments.finish()
        let connection = try PostgresConnection(url: databaseURL, applicationName: "recame status")
        let active = try ModelRegistry(connection: connection).activeVersion()
        print("active model: \(active ?? "none (recame model register --file M --activate)")")
        let now = Date()
        let workers = try HeartbeatStore(connection: connection).all()
        let live = workers.filter { $0.stoppedAt == nil && now.timeIntervalSince($0.lastSeenAt) <= stale }
        print("workers: \(live.count) live, \(workers.count - live.count) stale or stopped")
        guard !workers.isEmpty else { return 0 }
        let rows = workers.map { worker -> [String] in
            let state =
                worker.stoppedAt != nil
                ? "stopped" : now.timeIntervalSince(worker.lastSeenAt) <= stale ? "live" : "stale"
            return [
                worker.workerID, state, "\(Int(now.timeIntervalSince(worker.lastSeenAt)))s ago",
                worker.imagesPerSecond.map { String(format: "%.0f", $0) } ?? "", "\(worker.processed)",
                lagSummary(worker.lagJSON), worker.modelVersion ?? "",
            ]
        }
        print(TextTable(header: ["worker", "state", "last seen", "images/s", "processed", "lag", "model"], rows: rows))
        return 0
    }

    /// `total (p0:3 p1:0 …)` from the heartbeat's lag object.
    private static func lagSummary(_ json: String) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any], !object.isEmpty
        else { return "" }
        let pairs = object.compactMap { key, value in (value as? NSNumber).map { (key, $0.int64Value) } }
            .sorted { (Int($0.0) ?? 0, $0.0) < (Int($1.0) ?? 0, $1.0) }
        return "\(pairs.reduce(0) { $0 + $1.1 }) (" + pairs.map { "p\($0.0):\($0.1)" }.joined(separator: " ") + ")"
    }
}
