import Foundation

/// One line per batch and per notable event on stdout, as text or as JSON lines for log shippers.
struct WorkerLog: Sendable {
    let workerID: String
    let json: Bool

    func batch(
        count: Int, predictions: Int, deadLetters: Int, seconds: Double, phases: [String: Double] = [:],
        lag: [String: Int64]
    ) {
        let rate = Double(count) / max(seconds, 1e-9)
        let totalLag = lag.values.reduce(0, +)
        if json {
            emit([
                "event": "batch", "messages": count, "predictions": predictions, "dead_letters": deadLetters,
                "seconds": (seconds * 1000).rounded() / 1000, "images_per_second": rate.rounded(), "lag": totalLag,
                "lag_by_partition": lag,
                "phase_seconds": phases.mapValues { ($0 * 10000).rounded() / 10000 },
            ])
        } else {
            let breakdown = phases.sorted { $0.key < $1.key }.map { "\($0.key) " + String(format: "%.3f s", $0.value) }
            print(
                "[\(workerID)] batch \(count) messages: \(predictions) predictions, \(deadLetters) dead letters, "
                    + String(format: "%.0f images/s, %.3f s, lag %d", rate, seconds, totalLag)
                    + (breakdown.isEmpty ? "" : " (" + breakdown.joined(separator: ", ") + ")"))
        }
    }

    func event(_ name: String, _ fields: [String: String]) {
        if json {
            var object: [String: Any] = [:]
            for (key, value) in fields { object[key] = value }
            // The event name wins over a field of the same key, so log shippers can always filter on it.
            object["event"] = name
            emit(object)
        } else {
            let details = fields.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            print("[\(workerID)] \(name) \(details)")
        }
    }

    private func emit(_ object: [String: Any]) {
        var object = object
        object["worker"] = workerID
        object["time"] = ISO8601DateFormatter().string(from: Date())
        if let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) {
            print(String(decoding: data, as: UTF8.self))
        }
    }
}
