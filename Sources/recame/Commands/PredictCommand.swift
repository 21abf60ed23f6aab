import Foundation
import Imaging

enum PredictCommand: Command {
    static let name = "predict"
    static let summary = "classify image files with a checkpoint"
    static let usage = """
        usage: recame predict --model M [--json] [--threads T] [--batch-size 64] FILE...

        Classifies image files (JPEG, PNG, PGM/PPM) with a checkpoint: each image is decoded, converted
        to the model's channels, resized to its input size and normalised with its mean/std; the
        BatchNorm-folded ensemble gives the mean of the experts' logits, and the probabilities are
        softmax(mean logits / temperature) with the checkpoint's calibrated temperature.

        Results are printed in the order of the files. A file that cannot be read or decoded gets an
        error line naming it on stderr; the other files are still classified and the exit status is 1.

          --model M         the checkpoint (.safetensors, format recame-1)
          --json            one JSON object a line:
                            {"file", "class", "class_index", "confidence", "probabilities": [..]}
                            (default: a table of file, class and confidence)
          --threads T       threads for decoding and the network (default: cores, at most 8)
          --batch-size N    images per forward pass (default 64)
          --max-pixels N    refuse images whose header declares more pixels (default 64000000)

        Exit status: 0 when every file was classified, 1 when any could not be (or the model could
        not be loaded), 2 on bad usage.
        """
    static var booleanFlags: Set<String> { ["json"] }

    static func run(_ arguments: Arguments) throws -> Int32 {
        let modelPath = try arguments.required("model")
        let json = arguments.flag("json")
        let threads = try arguments.int(
            "threads", default: min(ProcessInfo.processInfo.activeProcessorCount, 8), range: 1...256)
        let batchSize = try arguments.int("batch-size", default: 64, range: 1...4096)
        let maxPixels = try arguments.int(
            "max-pixels", default: ImageDecoder.defaultMaxPixels, range: 1...Int(Int32.max))
        try arguments.finish(allowPositionals: true)
        let files = arguments.positionals
        guard !files.isEmpty else { throw UsageError("no image files given") }

        let classifier = try FileClassifier(modelPath: modelPath, threads: threads, maxPixels: maxPixels)
        let output = PredictionOutput(json: json, classNames: classifier.classNames)
        var failures = 0
        var start = 0
        while start < files.count {
            let batch = Array(files[start..<min(start + batchSize, files.count)])
            for outcome in try classifier.classify(batch) {
                switch outcome.result {
                case .success(let prediction):
                    output.add(file: outcome.file, prediction: prediction)
                case .failure(let error):
                    failures += 1
                    printStandardError("recame predict: \(outcome.file): \(error)")
                }
            }
            output.flush()
            start += batchSize
        }
        output.finish()
        return failures == 0 ? 0 : 1
    }
}

struct PredictError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
