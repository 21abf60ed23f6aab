import Foundation
import Tensor

/// Each expert's logits for a batch, from the folded inference path, so that a deployment can report
/// how far the experts agree as well as their mean. Keeps one set of buffers per thread between calls.
public final class ExpertPredictor: @unchecked Sendable {
    public let model: InferenceModel
    private var scratches: [InferenceScratch] = []
    private let lock = NSLock()

    public init(model: InferenceModel) {
        self.model = model
    }

    public var expertCount: Int { model.experts.count }

    /// Logits [K, N, classes] for images [N, C, H, W], the batch split over `parallelism` threads.
    public func expertLogits(_ images: Tensor, parallelism: Int = 1) throws -> Tensor {
        let architecture = model.architecture
        let expected = [architecture.inputChannels, architecture.inputHeight, architecture.inputWidth]
        guard images.rank == 4, Array(images.shape.dropFirst()) == expected else {
            throw TensorError.shapeMismatch("images: expected [N, \(expected)], got \(images.shape)")
        }
        let batch = images.shape[0]
        let classes = architecture.classes
        let experts = model.experts
        var result = Tensor(zeros: [experts.count, batch, classes])
        guard batch > 0 else { return result }
        lock.lock()
        defer { lock.unlock() }
        let chunks = max(1, min(parallelism, batch))
        while scratches.count < chunks { scratches.append(InferenceScratch()) }
        let scratches = self.scratches
        let imageSize = expected.reduce(1, *)
        let failure = FirstError()
        result.withUnsafeMutableBufferPointer { output in
            let base = output.baseAddress!
            let work = { (chunk: Int) in
                let start = chunk * batch / chunks
                let end = (chunk + 1) * batch / chunks
                let scratch = scratches[chunk]
                do {
                    let input: Tensor
                    if chunks == 1 {
                        input = images
                    } else {
                        scratch.input.resize(to: [end - start] + expected)
                        scratch.input.withUnsafeMutableBufferPointer { target in
                            images.withUnsafeBufferPointer { source in
                                target.baseAddress!.update(
                                    from: source.baseAddress! + start * imageSize, count: (end - start) * imageSize)
                            }
                        }
                        input = scratch.input
                    }
                    for (k, expert) in experts.enumerated() {
                        let slice = UnsafeMutableBufferPointer(
                            start: base + (k * batch + start) * classes, count: (end - start) * classes)
                        try expert.accumulateLogits(input, into: slice, scratch: scratch)
                    }
                } catch {
                    failure.record(error)
                }
            }
            if chunks == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: chunks, execute: work) }
        }
        if let error = failure.error { throw error }
        return result
    }
}

/// The first error thrown by any of several threads.
final class FirstError: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Error?

    var error: Error? { lock.withLock { stored } }

    func record(_ error: Error) { lock.withLock { if stored == nil { stored = error } } }
}
