import Foundation
import Tensor

/// The machine-readable result of `recame evaluate --json` (ARCHITECTURE §9): the headline metrics,
/// per-class figures (null where a class is absent from the evaluated set) and the confusion matrix.
public struct EvaluationReport {
    public let metrics: ClassificationMetrics
    public var details: [String: JSONValue]

    public init(metrics: ClassificationMetrics, details: [String: JSONValue] = [:]) {
        self.metrics = metrics
        self.details = details
    }

    public var json: JSONValue {
        func number(_ value: Double?) -> JSONValue { value.map { .number($0) } ?? .null }
        func integers(_ values: [Int]) -> JSONValue { .array(values.map { .integer(Int64($0)) }) }
        var fields = details
        fields["images"] = .integer(Int64(metrics.total))
        fields["accuracy"] = .number(metrics.accuracy)
        fields["macro_f1"] = .number(metrics.macroF1)
        fields["balanced_accuracy"] = .number(metrics.balancedAccuracy)
        fields["head_recall"] = number(metrics.recall(of: .head))
        fields["many_recall"] = number(metrics.recall(of: .many))
        fields["medium_recall"] = number(metrics.recall(of: .medium))
        fields["few_recall"] = number(metrics.recall(of: .few))
        fields["class_names"] = .array(metrics.classNames.map { .string($0) })
        fields["per_class_recall"] = .array(metrics.recall.map(number))
        fields["per_class_precision"] = .array(metrics.precision.map(number))
        fields["per_class_f1"] = .array(metrics.f1.map(number))
        fields["support"] = integers(metrics.support)
        fields["train_counts"] = metrics.trainCounts.map(integers) ?? .null
        fields["confusion"] = .array(metrics.confusion.map(integers))
        return .object(fields)
    }

    /// The shot group of a class with `count` training images, for tables (Many, Medium or Few).
    public static func group(trainCount count: Int) -> String {
        if ClassificationMetrics.ShotGroup.many.contains(trainCount: count) { return "many" }
        if ClassificationMetrics.ShotGroup.medium.contains(trainCount: count) { return "medium" }
        return "few"
    }
}
