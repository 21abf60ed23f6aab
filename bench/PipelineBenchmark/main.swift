import Foundation
import Imaging
import Kafka
import Pipeline
import Postgres

// recame-bench-pipeline: the measurements bench/run-pipeline-bench needs besides the pipeline itself.
//
//   model    --database-url U --images DIR [--count N] [--batch 64] [--threads 1] [--seconds 5]
//            the active registry model, loaded exactly as a worker loads it: forward images/s on
//            preprocessed inputs (no I/O), and decode+preprocess images/s on one thread. One JSON line.
//   produce  --bootstrap B --images DIR --batch-id ID [--count N] [--rate R] [--topic T]
//            publishes N image messages (cycling over the files, unique image ids) at R messages/s
//            (0: as fast as possible), keyed by a rotating wafer id. One JSON line.

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

func option(_ name: String, _ arguments: [String]) -> String? {
    guard let index = arguments.firstIndex(of: "--" + name), index + 1 < arguments.count else { return nil }
    return arguments[index + 1]
}

func required(_ name: String, _ arguments: [String]) throws -> String {
    guard let value = option(name, arguments) else { throw BenchError("missing --\(name)") }
    return value
}

func integer(_ name: String, _ arguments: [String], default value: Int) throws -> Int {
    guard let text = option(name, arguments) else { return value }
    guard let number = Int(text), number >= 0 else { throw BenchError("--\(name) must be a non-negative integer") }
    return number
}

func imageFiles(_ directory: String) throws -> [URL] {
    let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter {
        BatchSource.imageExtensions.contains(($0 as NSString).pathExtension.lowercased())
    }.sorted()
    guard !names.isEmpty else { throw BenchError("no images in \(directory)") }
    return names.map { URL(fileURLWithPath: directory).appendingPathComponent($0) }
}

func emit(_ object: [String: Any]) throws {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
}

/// Forward throughput of the active model on already preprocessed inputs, in the worker's batch size
/// and thread count, and the decode + preprocess cost per image on one thread.
func measureModel(_ arguments: [String]) throws {
    let connection = try PostgresConnection(url: try required("database-url", arguments))
    let models = ModelProvider(source: .registry, reviewThreshold: 0.5)
    try models.load(from: connection)
    guard let model = models.current else { throw BenchError("no active model") }
    let files = try imageFiles(try required("images", arguments))
    let count = min(try integer("count", arguments, default: 512), files.count)
    let batch = max(1, try integer("batch", arguments, default: 64))
    let threads = max(1, try integer("threads", arguments, default: 1))
    let seconds = Double(try integer("seconds", arguments, default: 5))
    let size = model.preprocessor.elementCount

    var inputs = [Float](repeating: 0, count: count * size)
    let decodeStart = Date()
    try inputs.withUnsafeMutableBufferPointer { buffer in
        for index in 0..<count {
            let image = try ImageDecoder.decode(contentsOf: files[index])
            try model.preprocessor.process(
                image, into: UnsafeMutableBufferPointer(start: buffer.baseAddress! + index * size, count: size))
        }
    }
    let decodeSeconds = Date().timeIntervalSince(decodeStart)

    // Warm up once, then run whole batches until the time is up.
    _ = try model.classify(Array(inputs.prefix(batch * size)), count: min(batch, count), threads: threads)
    var images = 0
    var batches = [Double]()
    let start = Date()
    var offset = 0
    while Date().timeIntervalSince(start) < seconds {
        let n = min(batch, count - offset)
        let slice = Array(inputs[(offset * size)..<((offset + n) * size)])
        let batchStart = Date()
        _ = try model.classify(slice, count: n, threads: threads)
        batches.append(Date().timeIntervalSince(batchStart))
        images += n
        offset = (offset + n) % count
    }
    let elapsed = Date().timeIntervalSince(start)
    try emit([
        "model": model.version, "batch": batch, "threads": threads, "images": images,
        "forward_images_per_s": Double(images) / elapsed,
        "forward_ms_per_batch": batches.sorted()[batches.count / 2] * 1000,
        "decode_images_per_s_one_thread": Double(count) / decodeSeconds,
        "decode_ms_per_image": decodeSeconds / Double(count) * 1000,
    ])
}

/// Publishes image messages at a set rate, as a fab's producer would.
func produce(_ arguments: [String]) throws {
    let files = try imageFiles(try required("images", arguments))
    let count = try integer("count", arguments, default: files.count)
    let rate = Double(try integer("rate", arguments, default: 0))
    let batchID = try required("batch-id", arguments)
    let topic = option("topic", arguments) ?? "recame.images"
    let producer = try KafkaProducer(
        configuration: KafkaConfiguration(
            bootstrapServers: try required("bootstrap", arguments), [("linger.ms", rate > 0 ? "0" : "5")]))
    let start = Date()
    for index in 0..<count {
        if rate > 0 {
            let due = start.addingTimeInterval(Double(index) / rate)
            let wait = due.timeIntervalSinceNow
            if wait > 0 { Thread.sleep(forTimeInterval: wait) }
        }
        let message = ImageMessage(
            batchID: batchID, waferID: "W\(index % 25)", imageID: "\(batchID)/\(index)",
            uri: files[index % files.count].absoluteString)
        try producer.send(
            topic: topic, key: Array(message.waferID.utf8), value: message.jsonBytes(), id: UInt64(index))
    }
    let delivered = try producer.flush(timeout: 60)
    let elapsed = Date().timeIntervalSince(start)
    try emit(["produced": delivered, "seconds": elapsed, "rate": Double(delivered) / elapsed])
}

let arguments = Array(CommandLine.arguments.dropFirst())
do {
    switch arguments.first {
    case "model": try measureModel(arguments)
    case "produce": try produce(arguments)
    default:
        FileHandle.standardError.write(
            Data("usage: recame-bench-pipeline model|produce [options] (see main.swift)\n".utf8))
        exit(2)
    }
} catch {
    FileHandle.standardError.write(Data("recame-bench-pipeline: \(error)\n".utf8))
    exit(1)
}
