import Foundation

/// Assigns images to train/validation/test per class, in fractions, by a seeded hash of each image's
/// identifier: reproducible, and adding images to a folder leaves the existing assignments in place.
public struct StratifiedSplitter: Sendable {
    public var trainFraction = 0.7
    public var validationFraction = 0.1
    public var seed: UInt64

    public init(seed: UInt64, trainFraction: Double = 0.7, validationFraction: Double = 0.1) {
        self.seed = seed
        self.trainFraction = trainFraction
        self.validationFraction = validationFraction
    }

    /// "train", "validation" or "test" for every identifier, indexed like the input.
    public func assign(identifiers: [String], labels: [Int], classCount: Int) -> [String] {
        var byClass = [[Int]](repeating: [], count: classCount)
        for (index, label) in labels.enumerated() { byClass[label].append(index) }
        var result = [String](repeating: "test", count: identifiers.count)
        for members in byClass where !members.isEmpty {
            let ordered = members.sorted {
                (StableHash.of(identifiers[$0], seed: seed), identifiers[$0])
                    < (StableHash.of(identifiers[$1], seed: seed), identifiers[$1])
            }
            // Every non-empty class keeps at least one training image; tiny classes fill train first.
            let trainCount = max(1, Int((Double(ordered.count) * trainFraction).rounded()))
            let validationCount = min(
                ordered.count - trainCount, Int((Double(ordered.count) * validationFraction).rounded()))
            for (rank, index) in ordered.enumerated() {
                result[index] =
                    rank < trainCount ? "train" : rank < trainCount + validationCount ? "validation" : "test"
            }
        }
        return result
    }

    /// Reads a `path,split` CSV (header optional). Unknown split names are an error naming the line.
    public static func readSplitFile(_ path: String) throws -> [String: String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw DatasetError.unreadable(path: path, reason: "split file not readable as UTF-8")
        }
        var result = [String: String]()
        for (number, line) in text.split(whereSeparator: \.isNewline).enumerated() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            if number == 0 && fields.first == "path" { continue }
            guard fields.count == 2, !fields[0].isEmpty else {
                throw DatasetError.malformed(path: path, reason: "line \(number + 1): expected 'path,split'")
            }
            let split = fields[1] == "val" ? "validation" : fields[1]
            guard ["train", "validation", "test"].contains(split) else {
                throw DatasetError.malformed(
                    path: path, reason: "line \(number + 1): split '\(fields[1])' is not train, validation or test")
            }
            result[fields[0]] = split
        }
        return result
    }

    /// Writes the assignment as `path,split` lines, sorted, and returns the digest of what was written.
    @discardableResult
    public static func writeSplitFile(_ assignment: [(String, String)], to path: String) throws -> String {
        let body = splitFileText(assignment)
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(
            at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(body.utf8).write(to: url, options: .atomic)
        return StableHash.hex(StableHash.of(body))
    }

    public static func digest(_ assignment: [(String, String)]) -> String {
        StableHash.hex(StableHash.of(splitFileText(assignment)))
    }

    private static func splitFileText(_ assignment: [(String, String)]) -> String {
        "path,split\n" + assignment.sorted { $0.0 < $1.0 }.map { "\($0.0),\($0.1)\n" }.joined()
    }
}
