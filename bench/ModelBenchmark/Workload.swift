/// One cell of the benchmark grid: what is measured, on which input shape, with how many threads.
struct Workload: Hashable, Comparable {
    enum Mode: String, CaseIterable {
        case inference
        case train
    }

    var mode: Mode
    var channels: Int
    var height: Int
    var width: Int
    var threads: Int

    var inputText: String { "\(channels)x\(height)x\(width)" }

    static func < (lhs: Workload, rhs: Workload) -> Bool {
        (lhs.mode == .inference ? 0 : 1, lhs.height, lhs.threads) < (
            rhs.mode == .inference ? 0 : 1, rhs.height, rhs.threads
        )
    }

    /// Parses `CxHxW` (e.g. 1x28x28).
    static func parseInput(_ text: String) throws -> (Int, Int, Int) {
        let parts = text.lowercased().split(separator: "x").compactMap { Int($0) }
        guard parts.count == 3, parts.allSatisfy({ $0 > 0 }) else {
            throw BenchmarkError("input must be CxHxW with positive sizes (e.g. 1x28x28), got '\(text)'")
        }
        return (parts[0], parts[1], parts[2])
    }
}

struct BenchmarkError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
