import Datasets
import Foundation
import ReCAME
import Tensor

enum EvaluateCommand: Command {
    static let name = "evaluate"
    static let summary = "measure a model on a data split (table, JSON or HTML report)"
    static let usage = """
        usage: recame evaluate --model M [--data SPEC] [--split test] [--json] [--report out.html]
                               [--seed S] [--threads T] [--batch B] [--splits DIR]

        Classifies every image of the split with M (mean expert logits, arg-max) and prints overall
        accuracy, macro-F1, balanced accuracy, recall by shot group from the model's training counts
        (Head > 1000, Many > 100, Medium 20–100, Few < 20 training images), per-class recall, precision
        and F1, the confusion matrix (rows: true class, columns: predicted), the negative log-likelihood
        at the model's calibration temperature and the throughput.

          --model M        recame-1 checkpoint (required)
          --data SPEC      fmnist-lt:IR, elpv[:PATH], elpv-cells[:PATH] or folder:PATH (default: the
                           data the model was trained on, from its metadata); class names must
                           match the model's
          --split NAME     test (default), validation or train
          --seed S         seed of the split (default: the model's training seed, else 1); only
                           matters for data sets split by seed (elpv, folders without split.csv)
          --splits DIR     where seeded split files live (default .local/splits)
          --json           print one JSON object instead of the table: accuracy, macro_f1,
                           balanced_accuracy, head/many/medium/few_recall (null when the group is
                           empty), per_class_recall/precision/f1, support, train_counts, confusion,
                           class_names, nll, temperature, images_per_second, model, data, split
          --report FILE    also write a self-contained HTML report (summary, confusion heat map, recall
                           against training count, per-class table, training curves from the model's
                           history)
          --threads T      inference threads (default 1)
          --batch B        images per inference batch (default 256)
        """
    static var booleanFlags: Set<String> { ["json"] }

    static func run(_ arguments: Arguments) throws -> Int32 {
        let modelPath = try arguments.required("model")
        let dataText = arguments.string("data")
        let splitName = arguments.string("split", default: "test")
        let json = arguments.flag("json")
        let reportPath = arguments.string("report")
        let seedOverride = try arguments.int("seed")
        let splits = arguments.string("splits", default: ".local/splits")
        let threads = try arguments.int("threads", default: 1, range: 1...64)
        let batch = try arguments.int("batch", default: 256, range: 1...65_536)
        try arguments.finish()
        guard ["test", "validation", "val", "train"].contains(splitName) else {
            throw UsageError("--split must be test, validation or train (got '\(splitName)')")
        }
        if let seedOverride, seedOverride < 0 { throw UsageError("--seed must be ≥ 0") }

        let checkpoint = try Checkpoint.load(contentsOf: URL(fileURLWithPath: modelPath))
        let configuration = checkpoint.configuration
        let training = TrainingMetadata(configuration.training)
        guard let specText = dataText ?? training.string("data") else {
            throw UsageError("the model does not say what data it was trained on; pass --data SPEC")
        }
        let specification = try DataSpecification(parsing: specText)
        let seed = seedOverride.map(UInt64.init) ?? training.string("seed").flatMap(UInt64.init) ?? 1
        try TrainingSupport.useSingleThreadedBLAS()
        let data = try TrainingSupport.loadData(
            specification, height: configuration.inputSize[0], width: configuration.inputSize[1],
            channels: configuration.inChannels, seed: seed, splits: splits)
        guard data.classNames == configuration.classNames else {
            throw TrainingError.invalidData(
                "the data's classes \(data.classNames) are not the model's \(configuration.classNames)")
        }
        let images = try data.part(splitName)
        let model = try ReCAMENetwork(checkpoint: checkpoint).inferenceModel()
        let evaluator = Evaluator(
            model: model, loader: try BatchLoader(images: images, mean: configuration.mean, std: configuration.std),
            batchSize: batch, parallelism: threads)
        let started = Date()
        let logits = try evaluator.logits()
        let seconds = Date().timeIntervalSince(started)
        let metrics = try Evaluator.metrics(
            logits: logits, labels: images.labels, classNames: images.classNames,
            trainCounts: configuration.trainCounts)
        let nll = TemperatureScaling.negativeLogLikelihood(
            logits: logits, labels: images.labels, temperature: configuration.temperature)
        let throughput = Double(images.count) / max(seconds, 1e-9)

        if let reportPath {
            var details: [(String, String)] = [
                ("model", modelPath), ("kind", configuration.kind.rawValue), ("data", specification.description),
                ("split", splitName), ("temperature", String(format: "%.3f", configuration.temperature)),
                ("NLL at temperature", String(format: "%.4f", nll)),
            ]
            if let commit = training.string("source_commit") { details.append(("source commit", commit)) }
            if let best = training.integer("best_epoch") { details.append(("best epoch", String(best))) }
            let report = HTMLReport(
                title: "ReCAME evaluation: \(URL(fileURLWithPath: modelPath).lastPathComponent) on \(specification) "
                    + "(\(splitName))",
                metrics: metrics, history: training.history(), details: details)
            try Data(report.render().utf8).write(to: URL(fileURLWithPath: reportPath), options: .atomic)
            printStandardError("wrote \(reportPath)")
        }
        if json {
            let report = EvaluationReport(
                metrics: metrics,
                details: [
                    "model": .string(modelPath), "data": .string(specification.description),
                    "split": .string(splitName), "nll": .number(nll), "temperature": .number(configuration.temperature),
                    "images_per_second": .number(throughput), "kind": .string(configuration.kind.rawValue),
                ])
            print(report.json.serialized)
        } else {
            print(
                table(
                    metrics, nll: nll, throughput: throughput, title: "\(modelPath) on \(specification) (\(splitName))")
            )
        }
        return 0
    }

    static func table(_ metrics: ClassificationMetrics, nll: Double, throughput: Double, title: String) -> String {
        let percent = TrainingSupport.percent
        var lines = [title, ""]
        lines.append(
            TextTable(
                header: ["metric", "value"],
                rows: [
                    ["images", String(metrics.total)], ["accuracy", percent(metrics.accuracy)],
                    ["macro-F1", percent(metrics.macroF1)], ["balanced accuracy", percent(metrics.balancedAccuracy)],
                    ["head recall (>1000)", percent(metrics.recall(of: .head))],
                    ["many recall (>100)", percent(metrics.recall(of: .many))],
                    ["medium recall (20-100)", percent(metrics.recall(of: .medium))],
                    ["few recall (<20)", percent(metrics.recall(of: .few))],
                    ["NLL", String(format: "%.4f", nll)], ["images/s", String(format: "%.1f", throughput)],
                ]
            ).description)
        lines.append("")
        let recall = metrics.recall
        let precision = metrics.precision
        let f1 = metrics.f1
        let rows = metrics.classNames.indices.map { c -> [String] in
            let train = metrics.trainCounts?[c]
            return [
                String(c), metrics.classNames[c], train.map(String.init) ?? "n/a",
                train.map(EvaluationReport.group) ?? "n/a", String(metrics.support[c]), percent(recall[c]),
                percent(precision[c]), percent(f1[c]),
            ]
        }
        lines.append(
            TextTable(
                header: ["#", "class", "train", "group", "support", "recall", "precision", "F1"], rows: rows
            ).description)
        lines.append("")
        lines.append("confusion matrix (rows: true class, columns: predicted class)")
        lines.append(
            TextTable(
                header: ["true \\ pred"] + metrics.classNames.indices.map(String.init),
                rows: metrics.confusion.enumerated().map { [String($0.offset)] + $0.element.map(String.init) }
            ).description)
        return lines.joined(separator: "\n")
    }
}

/// Typed reads from a checkpoint's free-form `training` metadata.
struct TrainingMetadata {
    let fields: [String: JSONValue]

    init(_ training: JSONValue?) {
        if case .object(let fields) = training { self.fields = fields } else { fields = [:] }
    }

    func string(_ key: String) -> String? {
        switch fields[key] {
        case .string(let text): return text
        case .integer(let value): return String(value)
        default: return nil
        }
    }

    func integer(_ key: String) -> Int? {
        if case .integer(let value) = fields[key] { return Int(exactly: value) }
        return nil
    }

    /// The per-epoch history a `TrainingRun` stores; empty when absent or unreadable.
    func history() -> [TrainingRecord] {
        guard let value = fields["history"] else { return [] }
        return (try? JSONDecoder().decode([TrainingRecord].self, from: Data(value.serialized.utf8))) ?? []
    }

    /// The training options of the run, when the model was made by `recame train`.
    func options() -> TrainingOptions? {
        guard let value = fields["options"] else { return nil }
        return try? JSONDecoder().decode(TrainingOptions.self, from: Data(value.serialized.utf8))
    }
}
