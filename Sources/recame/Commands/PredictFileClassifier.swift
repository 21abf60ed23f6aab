import Foundation
import Imaging
import ReCAME
import Tensor

/// A checkpoint made ready for files: the folded network, the preprocessing of its configuration,
/// and a reused batch buffer.
final class FileClassifier {
    struct Prediction {
        let classIndex: Int
        let confidence: Float
        let probabilities: [Float]
    }

    struct Outcome {
        let file: String
        let result: Result<Prediction, Error>
    }

    let classNames: [String]
    private let preprocessor: Preprocessor
    private let decoder: BatchDecoder
    private let model: InferenceModel
    private let temperature: Float
    private let threads: Int
    private var buffer: [Float] = []

    init(modelPath: String, threads: Int, maxPixels: Int) throws {
        let checkpoint: Checkpoint
        do {
            checkpoint = try Checkpoint.load(contentsOf: URL(fileURLWithPath: modelPath))
        } catch {
            throw PredictError("cannot load model \(modelPath): \(error)")
        }
        let configuration = checkpoint.configuration
        classNames = configuration.classNames
        temperature = Float(configuration.temperature)
        guard temperature > 0, temperature.isFinite else {
            throw PredictError("model \(modelPath): temperature \(configuration.temperature) must be positive")
        }
        preprocessor = try Preprocessor(
            height: configuration.inputSize[0], width: configuration.inputSize[1], channels: configuration.inChannels,
            mean: configuration.mean.map(Float.init), std: configuration.std.map(Float.init), maxPixels: maxPixels)
        model = try ReCAMENetwork(checkpoint: checkpoint).inferenceModel()
        // Our own threads split the batch; OpenBLAS threads on these small products only add
        // synchronisation (measured in bench/).
        try ComputeSettings.setThreads(1)
        decoder = try BatchDecoder(preprocessor: preprocessor, threads: threads)
        self.threads = threads
    }

    /// Decodes the files in parallel into the batch buffer, then classifies the ones that decoded.
    func classify(_ files: [String]) throws -> [Outcome] {
        let size = preprocessor.elementCount
        if buffer.count < files.count * size { buffer = [Float](repeating: 0, count: files.count * size) }
        let maxPixels = preprocessor.maxPixels
        var errors = try buffer.withUnsafeMutableBufferPointer { slots in
            try decoder.decode(count: files.count, into: slots) { index in
                try ImageDecoder.decode(Self.read(files[index]), maxPixels: maxPixels)
            }
        }
        let decoded = files.indices.filter { errors[$0] == nil }
        var predictions = [Int: Prediction]()
        if !decoded.isEmpty {
            var inputs = [Float]()
            inputs.reserveCapacity(decoded.count * size)
            for index in decoded { inputs += buffer[(index * size)..<((index + 1) * size)] }
            let images = try Tensor(
                shape: [decoded.count, preprocessor.channels, preprocessor.height, preprocessor.width],
                scalars: inputs)
            let probabilities = try model.probabilities(images, temperature: temperature, parallelism: threads)
                .scalars
            let classes = classNames.count
            for (row, index) in decoded.enumerated() {
                let values = Array(probabilities[(row * classes)..<((row + 1) * classes)])
                guard values.allSatisfy(\.isFinite) else {
                    errors[index] = PredictError("the model produced non-finite probabilities for this image")
                    continue
                }
                let top = values.indices.max { values[$0] < values[$1] } ?? 0
                predictions[index] = Prediction(classIndex: top, confidence: values[top], probabilities: values)
            }
        }
        return files.indices.map { index in
            if let prediction = predictions[index] {
                return Outcome(file: files[index], result: .success(prediction))
            }
            return Outcome(file: files[index], result: .failure(errors[index]!))
        }
    }

    private static func read(_ path: String) throws -> Data {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw PredictError("no such file")
        }
        guard !isDirectory.boolValue else { throw PredictError("is a directory, not an image file") }
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw PredictError("cannot read the file (\((error as NSError).localizedDescription))")
        }
    }
}
