import Datasets
import Foundation
import ReCAME
import Tensor

enum DistillCommand: Command {
    static let name = "distill"
    static let summary = "distil an ensemble into a single-backbone student for faster workers"
    static let usage = """
        usage: recame distill --teacher M --out S [--data SPEC] [--epochs N] [--batch B] [--lr LR]
                              [--warmup E] [--weight-decay WD] [--temperature T] [--kd-weight X]
                              [--ce-weight X] [--seed S] [--threads T] [--resume] [--limit-train N]

        Trains a student with one backbone of the teacher's depth and width on the teacher's data:
        kd-weight · T² · KL(softmax(teacher / T) ‖ softmax(student / T)) on every augmented batch plus
        ce-weight · balanced cross-entropy on the labels. The student keeps the teacher's classes,
        input size and normalisation, is chosen by validation macro-recall, calibrated on the
        validation split like `recame train`, and written as a recame-1 checkpoint of kind "student".
        Then both models are measured on the test split: accuracy, macro-F1, shot-group recall and
        images/s (single batch stream, --threads threads).

          --teacher M          the ensemble checkpoint (required)
          --out S              where to write the student (required); S.state.safetensors for --resume
          --data SPEC          training data (default: the teacher's, from its metadata)
          --epochs N           default: the teacher's epochs (else 30)
          --batch B, --lr LR, --warmup E, --weight-decay WD, --seed S, --limit-train N
                               default: the teacher's training options (else 128, 0.1, 1, 5e-4, 1, all)
          --temperature T      distillation temperature (default 2)
          --kd-weight X        weight of the distillation term (default 1)
          --ce-weight X        weight of the balanced cross-entropy (default 1)
          --threads T          training and inference threads (default 1)
          --splits DIR         where seeded split files live (default .local/splits)
          --resume             continue from S.state.safetensors (same flags required)
        """
    static var booleanFlags: Set<String> { ["resume"] }

    static func run(_ arguments: Arguments) throws -> Int32 {
        let teacherPath = try arguments.required("teacher")
        let output = URL(fileURLWithPath: try arguments.required("out"))
        let dataText = arguments.string("data")
        let epochs = try arguments.int("epochs")
        let batch = try arguments.int("batch")
        let learningRate = try arguments.double("lr")
        let warmup = try arguments.int("warmup")
        let weightDecay = try arguments.double("weight-decay")
        let seed = try arguments.int("seed")
        let limit = try arguments.int("limit-train")
        let temperature = try arguments.double("temperature", default: 2)
        let kdWeight = try arguments.double("kd-weight", default: 1)
        let ceWeight = try arguments.double("ce-weight", default: 1)
        let threads = try arguments.int("threads", default: 1, range: 1...64)
        let splits = arguments.string("splits", default: ".local/splits")
        let resume = arguments.flag("resume")
        try arguments.finish()

        let teacherCheckpoint = try Checkpoint.load(contentsOf: URL(fileURLWithPath: teacherPath))
        let teacherConfiguration = teacherCheckpoint.configuration
        let metadata = TrainingMetadata(teacherConfiguration.training)
        guard let specText = dataText ?? metadata.string("data") else {
            throw UsageError("the teacher does not say what data it was trained on; pass --data SPEC")
        }
        let specification = try DataSpecification(parsing: specText)
        var options = metadata.options() ?? TrainingOptions()
        options.method = .distillation
        options.experts = 1
        options.depth = teacherConfiguration.depth
        options.widthMultiplier = Double(teacherConfiguration.widths[0]) / Double(ModelConfiguration.baseWidths[0])
        guard options.widths == teacherConfiguration.widths else {
            throw TrainingError.invalidOptions(
                "the teacher's widths \(teacherConfiguration.widths) are not a width multiple of "
                    + "\(ModelConfiguration.baseWidths); the student cannot copy them")
        }
        options.inputHeight = teacherConfiguration.inputSize[0]
        options.inputWidth = teacherConfiguration.inputSize[1]
        options.channels = teacherConfiguration.inChannels
        options.regionalAttention = true
        options.loss = LossConfiguration(
            hardCategoryWeight: 0, contrastiveWeight: 0, compactnessWeight: 0, distillationWeight: 0,
            hardCategoryDistillationWeight: 0)
        options.distillation = TrainingOptions.Distillation(
            teacher: teacherPath, temperature: temperature, weight: kdWeight, crossEntropyWeight: ceWeight)
        if let epochs { options.epochs = epochs }
        if let batch { options.batchSize = batch }
        if let learningRate { options.learningRate = learningRate }
        if let warmup { options.warmupEpochs = warmup }
        if let weightDecay { options.weightDecay = weightDecay }
        if let seed {
            guard seed >= 0 else { throw UsageError("--seed must be ≥ 0") }
            options.seed = UInt64(seed)
        }
        if let limit { options.limitTrainPerClass = limit }
        options.warmupEpochs = min(options.warmupEpochs, options.epochs - 1)
        try TrainingSupport.checkStart(options, output: output, resume: resume)

        try TrainingSupport.useSingleThreadedBLAS()
        let data = try TrainingSupport.loadData(
            specification, height: options.inputHeight, width: options.inputWidth, channels: options.channels,
            seed: options.seed, splits: splits)
        guard data.classNames == teacherConfiguration.classNames else {
            throw TrainingError.invalidData(
                "the data's classes \(data.classNames) are not the teacher's \(teacherConfiguration.classNames)")
        }
        let teacher = try ReCAMENetwork(checkpoint: teacherCheckpoint).inferenceModel()
        let run = try TrainingRun(
            options: options, data: data, dataSpec: specification.description, output: output, threads: threads,
            normalization: (teacherConfiguration.mean, teacherConfiguration.std),
            objective: { counts in
                try DistillationObjective(
                    teacher: teacher, classCounts: counts, temperature: temperature, distillationWeight: kdWeight,
                    crossEntropyWeight: ceWeight)
            }, sourceCommit: TrainingSupport.sourceCommit())
        if resume, try run.resume() {
            printStandardError("resuming after epoch \(run.epoch)/\(options.epochs) (step \(run.step))")
        }
        printStandardError(
            "distilling \(teacherPath) (\(teacherConfiguration.experts) experts) into one ResNet-\(options.depth) "
                + "backbone: \(run.train.count) images, \(run.stepsPerEpoch) steps/epoch, T = \(temperature)")
        TrainingSupport.attachProgress(to: run)
        try run.train()
        let result = try run.finish()
        print(
            "wrote \(output.path): best epoch \(run.bestEpoch)/\(options.epochs), validation macro-recall "
                + TrainingSupport.percent(run.bestScore)
                + String(format: ", temperature %.3f", result.configuration.temperature))

        let student = try ReCAMENetwork(checkpoint: try Checkpoint.load(contentsOf: output)).inferenceModel()
        let loader = try BatchLoader(images: data.test, mean: teacherConfiguration.mean, std: teacherConfiguration.std)
        var rows = [[String]]()
        for (label, model, experts) in [
            ("ensemble (teacher)", teacher, teacherConfiguration.experts), ("student", student, 1),
        ] {
            let evaluator = Evaluator(model: model, loader: loader, parallelism: threads)
            let started = Date()
            let logits = try evaluator.logits()
            let seconds = Date().timeIntervalSince(started)
            let metrics = try Evaluator.metrics(
                logits: logits, labels: data.test.labels, classNames: data.classNames,
                trainCounts: teacherConfiguration.trainCounts ?? run.train.classCounts)
            rows.append([
                label, String(experts), TrainingSupport.percent(metrics.accuracy),
                TrainingSupport.percent(metrics.macroF1), TrainingSupport.percent(metrics.recall(of: .medium)),
                TrainingSupport.percent(metrics.recall(of: .few)),
                String(format: "%.1f", Double(data.test.count) / max(seconds, 1e-9)),
            ])
        }
        print("test split, \(data.test.count) images, \(threads) thread(s):")
        print(
            TextTable(
                header: ["model", "experts", "accuracy", "macro-F1", "medium recall", "few recall", "images/s"],
                rows: rows
            ).description)
        return 0
    }
}
