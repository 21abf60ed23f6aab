/// What a classifier did on a labelled set, computed from its confusion matrix (rows: true class,
/// columns: predicted class). Shot groups follow ARCHITECTURE §3: by training images per class,
/// Many > 100, Medium 20–100, Few < 20, and the paper's Head > 1000.
public struct ClassificationMetrics: Codable, Equatable, Sendable {
    public let classNames: [String]
    public let confusion: [[Int]]
    public let trainCounts: [Int]?

    public init(classNames: [String], confusion: [[Int]], trainCounts: [Int]? = nil) {
        precondition(confusion.count == classNames.count && confusion.allSatisfy { $0.count == classNames.count })
        self.classNames = classNames
        self.confusion = confusion
        self.trainCounts = trainCounts
    }

    public init(classNames: [String], truth: [Int], predicted: [Int], trainCounts: [Int]? = nil) {
        precondition(truth.count == predicted.count, "truth and predictions differ in length")
        var matrix = [[Int]](repeating: [Int](repeating: 0, count: classNames.count), count: classNames.count)
        for (label, guess) in zip(truth, predicted) { matrix[label][guess] += 1 }
        self.init(classNames: classNames, confusion: matrix, trainCounts: trainCounts)
    }

    public var total: Int { confusion.reduce(0) { $0 + $1.reduce(0, +) } }
    public var correct: Int { confusion.indices.reduce(0) { $0 + confusion[$1][$1] } }
    public var accuracy: Double { total == 0 ? 0 : Double(correct) / Double(total) }

    /// Support of each class in the evaluated set.
    public var support: [Int] { confusion.map { $0.reduce(0, +) } }
    public var predictedCounts: [Int] {
        confusion.indices.map { column in confusion.reduce(0) { $0 + $1[column] } }
    }

    /// Recall per class; nil for a class absent from the evaluated set.
    public var recall: [Double?] {
        confusion.indices.map { c in support[c] == 0 ? nil : Double(confusion[c][c]) / Double(support[c]) }
    }

    /// Precision per class; a class never predicted has precision 0 when it has support (it was
    /// missed), nil when it has none.
    public var precision: [Double?] {
        let predicted = predictedCounts
        return confusion.indices.map { c in
            predicted[c] > 0 ? Double(confusion[c][c]) / Double(predicted[c]) : (support[c] > 0 ? 0 : nil)
        }
    }

    public var f1: [Double?] {
        zip(precision, recall).map { precision, recall in
            guard let precision, let recall else { return nil }
            return precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall)
        }
    }

    /// Mean F1 over the classes present in the evaluated set.
    public var macroF1: Double { Self.mean(f1.compactMap { $0 }) ?? 0 }

    /// Mean recall over the classes present: accuracy as if every class were equally frequent.
    public var balancedAccuracy: Double { Self.mean(recall.compactMap { $0 }) ?? 0 }

    public enum ShotGroup: String, CaseIterable, Codable, Sendable {
        case head, many, medium, few

        public func contains(trainCount n: Int) -> Bool {
            switch self {
            case .head: return n > 1000
            case .many: return n > 100
            case .medium: return (20...100).contains(n)
            case .few: return n < 20
            }
        }
    }

    /// Mean recall over the classes of a shot group; nil without train counts or without such classes.
    public func recall(of group: ShotGroup) -> Double? {
        guard let trainCounts else { return nil }
        let recalls = recall
        return Self.mean(
            confusion.indices.compactMap { c in group.contains(trainCount: trainCounts[c]) ? recalls[c] : nil })
    }

    static func mean(_ values: [Double]) -> Double? {
        values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
    }
}
