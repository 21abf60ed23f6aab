import Foundation
import Tensor

/// What `--resume` needs to continue a run exactly where it stopped, saved after every epoch next to
/// the artifact as `OUT.state.safetensors`: the network state (weights and BatchNorm statistics),
/// SGD's momentum buffers, and the bookkeeping below. Shuffling and augmentation are seeded from
/// (seed, epoch), so no generator state is needed beyond the epoch.
struct TrainingState: Codable, Equatable {
    static let metadataKey = "recame_training_state"
    static let networkPrefix = "network."
    static let momentumPrefix = "momentum."

    var options: TrainingOptions
    var dataSpec: String
    var splitHash: String
    var trainCounts: [Int]
    /// Epochs completed.
    var epoch: Int
    /// Optimisation steps taken.
    var step: Int
    var history: [TrainingRecord]
    var bestScore: Double
    var bestEpoch: Int

    static func url(for output: URL) -> URL {
        output.deletingLastPathComponent().appendingPathComponent(output.lastPathComponent + ".state.safetensors")
    }

    func save(network: ReCAMENetwork, momentum: [Tensor?], to url: URL) throws {
        var tensors = [String: SafetensorsFile.Entry]()
        for (name, tensor) in network.stateDictionary() {
            tensors[Self.networkPrefix + name] = SafetensorsFile.Entry(shape: tensor.shape, values: tensor.scalars)
        }
        for (index, buffer) in momentum.enumerated() {
            guard let buffer else { continue }
            tensors[Self.momentumPrefix + String(index)] = SafetensorsFile.Entry(
                shape: buffer.shape, values: buffer.scalars)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let metadata = [Self.metadataKey: String(decoding: try encoder.encode(self), as: UTF8.self)]
        try SafetensorsFile(tensors: tensors, metadata: metadata).write(to: url)
    }

    /// Reads a state file; the network state and momentum buffers come back by name and index.
    static func load(from url: URL) throws -> (
        state: TrainingState, network: [String: Tensor], momentum: [Int: Tensor]
    ) {
        let file = try SafetensorsFile(contentsOf: url)
        guard let text = file.metadata[metadataKey] else {
            throw TrainingError.resume("\(url.path) has no \(metadataKey) metadata; not a training state file")
        }
        let state: TrainingState
        do {
            state = try JSONDecoder().decode(TrainingState.self, from: Data(text.utf8))
        } catch {
            throw TrainingError.resume("\(url.path): unreadable training state (\(error))")
        }
        var network = [String: Tensor]()
        var momentum = [Int: Tensor]()
        for (name, entry) in file.tensors {
            let tensor = try Tensor(shape: entry.shape, scalars: entry.values)
            if name.hasPrefix(networkPrefix) {
                network[String(name.dropFirst(networkPrefix.count))] = tensor
            } else if name.hasPrefix(momentumPrefix), let index = Int(name.dropFirst(momentumPrefix.count)) {
                momentum[index] = tensor
            } else {
                throw TrainingError.resume("\(url.path): unexpected tensor '\(name)'")
            }
        }
        return (state, network, momentum)
    }
}
