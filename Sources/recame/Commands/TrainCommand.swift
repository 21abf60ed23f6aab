import Datasets
import Foundation
import ReCAME
import Tensor

enum TrainCommand: Command {
    static let name = "train"
    static let summary = "train ReCAME-Net (or the CE baseline) on a data set"
    static let usage = """
        usage: recame train --data SPEC --out M [--epochs N] [--experts K] [--depth D] [--width W]
                            [--input HxW] [--channels C] [--batch B] [--lr LR] [--warmup E]
                            [--weight-decay WD] [--baseline ce] [--seed S] [--threads T] [--resume]
                            [--no-rca] [--no-hcm] [--no-nbod] [--no-metric] [--no-balanced] …

        Trains on the training split, validates after every epoch and keeps the model with the best
        validation macro-recall (the test split is never looked at). Writes M, a recame-1 safetensors
        checkpoint with class names, normalisation, training counts, a calibration temperature fitted
        on the validation split, and how it was made (data, split hash, options, history, commit).
        After every epoch it also writes M.state.safetensors, from which --resume continues exactly
        as if never interrupted. Progress goes to stderr, the summary to stdout.

        data
          --data SPEC          fmnist-lt:IR, elpv[:PATH], elpv-cells[:PATH] (grade × mono/poly)
                               or folder:PATH (required)
          --input HxW          network input size (default: the data set's, 28x28 for FMNIST, 64x64 else)
          --channels C         1 (gray) or 3 (default: the data set's)
          --splits DIR         where seeded split files are written (default .local/splits)
          --limit-train N      use only the first N training images of each class (smoke tests)

        model
          --experts K          experts (default 3; the baseline has 1)
          --depth D            ResNet depth 6n+2: 20, 32, 44, … (default 20)
          --width W            width multiplier of the 16/32/64 stage widths (default 1)
          --baseline ce        one backbone and plain cross-entropy, same schedule: the reference run
          --no-rca             regional channel attention off (the identity, frozen)

        loss (weights of §3; 0 switches a term off)
          --no-hcm             no hard-category-mining terms (CE and NBOD)
          --no-nbod            no expert distillation (NBOD and NBOD on the HCM mask)
          --no-metric          no contrastive and compactness losses
          --no-balanced        plain softmax instead of the balanced softmax (log n_c added)
          --ce-weight X        balanced CE (default 1)
          --hcm-weight X       hard-category CE (default 1)
          --hcm-classes N      classes kept by the HCM mask (default 9)
          --contrastive-weight X   default 0.05;  --contrastive-margin X (default 20)
          --compactness-weight X   default 0.000625
          --nbod-weight X      default 0.6;  --nbod-hcm-weight X (default 0.6)

        optimisation
          --epochs N           default 30
          --batch B            default 128
          --lr LR              peak learning rate of SGD (default 0.1), momentum --momentum (0.9)
          --warmup E           epochs of linear warm-up before the cosine decay to 0 (default 1)
          --weight-decay WD    default 5e-4 (not on BatchNorm and biases)
          --crop-padding P     random crop after zero padding by P pixels (default: input height / 8)
          --flips MODE         hv (both, default), h (horizontal only) or none
          --rotation DEG       random rotation in ±DEG degrees (default 0)
          --seed S             seeds weights, shuffling, augmentation and splits (default 1)
          --threads T          experts run side by side on T threads (default 1)
          --resume             continue from M.state.safetensors (same flags required)
        """
    static var booleanFlags: Set<String> {
        ["resume", "no-rca", "no-hcm", "no-nbod", "no-metric", "no-balanced"]
    }

    static func run(_ arguments: Arguments) throws -> Int32 {
        let specification = try DataSpecification(parsing: try arguments.required("data"))
        let output = URL(fileURLWithPath: try arguments.required("out"))
        var options = TrainingOptions()
        let natural = specification.defaultInput
        let input: (height: Int, width: Int) =
            try arguments.string("input").map(TrainingSupport.inputSize) ?? (natural.height, natural.width)
        options.inputHeight = input.height
        options.inputWidth = input.width
        options.channels = try arguments.int("channels", default: natural.channels, range: 1...3)
        let splits = arguments.string("splits", default: ".local/splits")
        options.limitTrainPerClass = try arguments.int("limit-train")
        options.experts = try arguments.int("experts", default: 3, range: 1...32)
        options.depth = try arguments.int("depth", default: 20, range: 8...200)
        options.widthMultiplier = try arguments.double("width", default: 1)
        options.regionalAttention = !arguments.flag("no-rca")
        var loss = LossConfiguration.paper
        loss.crossEntropyWeight = try arguments.double("ce-weight", default: loss.crossEntropyWeight)
        loss.hardCategoryWeight = try arguments.double("hcm-weight", default: loss.hardCategoryWeight)
        loss.hardCategoryClasses = try arguments.int(
            "hcm-classes", default: loss.hardCategoryClasses, range: 1...10_000)
        loss.contrastiveWeight = try arguments.double("contrastive-weight", default: loss.contrastiveWeight)
        loss.contrastiveMargin = try arguments.double("contrastive-margin", default: loss.contrastiveMargin)
        loss.compactnessWeight = try arguments.double("compactness-weight", default: loss.compactnessWeight)
        loss.distillationWeight = try arguments.double("nbod-weight", default: loss.distillationWeight)
        loss.hardCategoryDistillationWeight = try arguments.double(
            "nbod-hcm-weight", default: loss.hardCategoryDistillationWeight)
        if arguments.flag("no-hcm") {
            loss.hardCategoryWeight = 0
            loss.hardCategoryDistillationWeight = 0
        }
        if arguments.flag("no-nbod") {
            loss.distillationWeight = 0
            loss.hardCategoryDistillationWeight = 0
        }
        if arguments.flag("no-metric") {
            loss.contrastiveWeight = 0
            loss.compactnessWeight = 0
        }
        if arguments.flag("no-balanced") { loss.logitAdjustment = false }
        options.loss = loss
        options.epochs = try arguments.int("epochs", default: 30, range: 1...100_000)
        options.batchSize = try arguments.int("batch", default: 128, range: 2...65_536)
        options.learningRate = try arguments.double("lr", default: 0.1)
        options.momentum = try arguments.double("momentum", default: 0.9)
        options.warmupEpochs = try arguments.int("warmup", default: min(1, options.epochs - 1), range: 0...100_000)
        options.weightDecay = try arguments.double("weight-decay", default: 5e-4)
        options.cropPadding = try arguments.int("crop-padding", default: input.height / 8, range: 0...64)
        switch arguments.string("flips", default: "hv") {
        case "hv": (options.horizontalFlip, options.verticalFlip) = (true, true)
        case "h": (options.horizontalFlip, options.verticalFlip) = (true, false)
        case "none": (options.horizontalFlip, options.verticalFlip) = (false, false)
        case let other: throw UsageError("--flips must be hv, h or none (got '\(other)')")
        }
        options.maxRotationDegrees = try arguments.double("rotation", default: 0)
        let seed = try arguments.int("seed", default: 1, range: 0...Int.max)
        options.seed = UInt64(seed)
        let threads = try arguments.int("threads", default: 1, range: 1...64)
        let resume = arguments.flag("resume")
        if let baseline = arguments.string("baseline") {
            guard baseline == "ce" else { throw UsageError("--baseline takes ce (got '\(baseline)')") }
            if options.loss != .paper || !options.regionalAttention {
                throw UsageError("--baseline ce is plain cross-entropy; it takes no loss or ablation flags")
            }
            options = options.crossEntropyBaseline
        }
        try arguments.finish()
        try TrainingSupport.checkStart(options, output: output, resume: resume)

        try TrainingSupport.useSingleThreadedBLAS()
        let data = try TrainingSupport.loadData(
            specification, height: options.inputHeight, width: options.inputWidth, channels: options.channels,
            seed: options.seed, splits: splits)
        let run = try TrainingRun(
            options: options, data: data, dataSpec: specification.description, output: output, threads: threads,
            sourceCommit: TrainingSupport.sourceCommit())
        if resume {
            if try run.resume() {
                printStandardError("resuming after epoch \(run.epoch)/\(options.epochs) (step \(run.step))")
            } else {
                printStandardError("nothing to resume at \(run.stateURL.path); starting afresh")
            }
        }
        printStandardError(
            "training \(options.method.rawValue): \(options.experts) expert(s), ResNet-\(options.depth) "
                + "widths \(options.widths), input \(options.channels)×\(options.inputHeight)×\(options.inputWidth), "
                + "\(run.train.count) images, \(run.stepsPerEpoch) steps/epoch, \(threads) thread(s), "
                + "BLAS \(ComputeSettings.threads) thread(s)")
        TrainingSupport.attachProgress(to: run)
        try run.train()
        let result = try run.finish()
        print(
            "wrote \(output.path): best epoch \(run.bestEpoch)/\(options.epochs), validation macro-recall "
                + TrainingSupport.percent(run.bestScore) + ", temperature "
                + String(
                    format: "%.3f (validation NLL %.4f → %.4f)", result.configuration.temperature,
                    result.nllBefore, result.nllAfter))
        return 0
    }
}
