import Postgres

/// Which classes are "tail" (rare, so every prediction of them is reviewed) and the confidence below
/// which a prediction is reviewed. Engineers set both in the `classes` table; where they have not, a
/// class is tail when the model saw at most 100 training images of it (the Medium and Few shot groups)
/// or under a quarter of the most common class's count.
public struct ClassPolicy: Sendable {
    public let tail: [Bool]
    public let thresholds: [Float]

    public init(tail: [Bool], thresholds: [Float]) {
        self.tail = tail
        self.thresholds = thresholds
    }

    public static func defaultTail(trainCounts: [Int]?) -> [Bool]? {
        guard let counts = trainCounts, let most = counts.max() else { return nil }
        return counts.map { $0 <= 100 || Double($0) < 0.25 * Double(most) }
    }

    public static func load(
        connection: PostgresConnection, classNames: [String], trainCounts: [Int]?, defaultThreshold: Float
    ) throws -> ClassPolicy {
        var tail = defaultTail(trainCounts: trainCounts) ?? [Bool](repeating: false, count: classNames.count)
        var thresholds = [Float](repeating: defaultThreshold, count: classNames.count)
        let rows = try connection.query(
            "SELECT class_name, is_tail, review_threshold FROM classes WHERE class_name = ANY($1)", classNames)
        let index = Dictionary(uniqueKeysWithValues: classNames.enumerated().map { ($1, $0) })
        for row in rows {
            guard let position = index[try row.decode("class_name", as: String.self)] else { continue }
            if try row.decode("is_tail", as: Bool.self) { tail[position] = true }
            if let threshold = try row.decode("review_threshold", as: Float?.self) { thresholds[position] = threshold }
        }
        return ClassPolicy(tail: tail, thresholds: thresholds)
    }
}
