import Foundation
import Kafka

/// Sends one message per image of a batch (ARCHITECTURE §5), keyed by wafer so that a wafer's images
/// stay in order on one partition, and reports every image whose delivery failed.
public struct Publisher {
    public let producer: KafkaProducer
    public let topic: String

    public init(producer: KafkaProducer, topic: String) {
        self.producer = producer
        self.topic = topic
    }

    public struct Outcome: Sendable {
        public let delivered: Int
        /// Image files whose message librdkafka could not deliver, with the reason.
        public let failed: [(path: String, reason: String)]
    }

    public func publish(
        batchID: String, source: BatchSource, flushTimeout: TimeInterval = 60,
        progress: ((Int, Int) -> Void)? = nil
    ) throws -> Outcome {
        var failed = [(path: String, reason: String)]()
        for (index, entry) in source.entries.enumerated() {
            let message = ImageMessage(
                batchID: batchID, waferID: entry.waferID, imageID: entry.imageID,
                uri: URL(fileURLWithPath: entry.path).absoluteString, product: entry.product, dieX: entry.dieX,
                dieY: entry.dieY)
            do {
                try producer.send(
                    topic: topic, key: Array(entry.waferID.utf8), value: message.jsonBytes(),
                    headers: [KafkaHeader(name: "content-type", value: "application/json")], id: UInt64(index))
            } catch {
                failed.append((entry.path, "\(error)"))
            }
            progress?(index + 1, source.entries.count)
        }
        do {
            let delivered = try producer.flush(timeout: flushTimeout)
            return Outcome(delivered: delivered, failed: failed)
        } catch let error as KafkaDeliveryError {
            failed += error.failures.map { (source.entries[Int($0.id)].path, "\($0.error)") }
            if error.undelivered > 0 {
                failed.append(("(\(error.undelivered) messages)", "still undelivered after \(Int(flushTimeout)) s"))
            }
            return Outcome(delivered: error.delivered, failed: failed)
        }
    }
}
