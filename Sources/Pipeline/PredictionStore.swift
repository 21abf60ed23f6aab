import Foundation
import Postgres

/// Writes one consumed batch — image rows, predictions and dead letters — in a single transaction,
/// so that a batch is either wholly safe in PostgreSQL (and its offsets may be committed) or not at
/// all. Every insert is idempotent: a batch replayed after a crash writes nothing twice.
public struct PredictionStore {
    public struct Prediction: Sendable {
        public var message: ImageMessage
        public var modelVersion: String
        public var className: String
        public var classIndex: Int
        public var confidence: Float
        public var probabilities: [Float]
        public var expertAgreement: Float
        public var needsReview: Bool
        public var position: KafkaPosition

        public init(
            message: ImageMessage, modelVersion: String, className: String, classIndex: Int, confidence: Float,
            probabilities: [Float], expertAgreement: Float, needsReview: Bool, position: KafkaPosition
        ) {
            self.message = message
            self.modelVersion = modelVersion
            self.className = className
            self.classIndex = classIndex
            self.confidence = confidence
            self.probabilities = probabilities
            self.expertAgreement = expertAgreement
            self.needsReview = needsReview
            self.position = position
        }
    }

    public struct DeadLetter: Sendable {
        public var position: KafkaPosition
        public var key: [UInt8]?
        public var payload: [UInt8]?
        public var reason: String
        public var batchID: String?
        public var imageID: String?

        public init(
            position: KafkaPosition, key: [UInt8]?, payload: [UInt8]?, reason: String, batchID: String? = nil,
            imageID: String? = nil
        ) {
            self.position = position
            self.key = key
            self.payload = payload
            self.reason = reason
            self.batchID = batchID
            self.imageID = imageID
        }
    }

    /// Where a message came from on the topic.
    public struct KafkaPosition: Sendable, Hashable {
        public var topic: String
        public var partition: Int32
        public var offset: Int64
        public var timestamp: Date?

        public init(topic: String, partition: Int32, offset: Int64, timestamp: Date?) {
            self.topic = topic
            self.partition = partition
            self.offset = offset
            self.timestamp = timestamp
        }
    }

    let connection: PostgresConnection
    let workerID: String

    public init(connection: PostgresConnection, workerID: String) {
        self.connection = connection
        self.workerID = workerID
    }

    /// Returns how many prediction rows were new (a replay returns fewer, down to 0).
    @discardableResult
    public func write(predictions: [Prediction], deadLetters: [DeadLetter]) throws -> Int {
        try connection.transaction { connection in
            // Messages from producers other than `recame publish` have no batch or image row yet; the
            // record_images function (migration 0002) creates them, so workers need no INSERT on those tables.
            var seenImages = Set<String>()
            let images = predictions.compactMap { prediction -> [String: Any]? in
                let message = prediction.message
                guard seenImages.insert(message.imageID).inserted else { return nil }
                var row: [String: Any] = [
                    "image_id": message.imageID, "batch_id": message.batchID, "wafer_id": message.waferID,
                    "uri": message.uri,
                ]
                row["die_x"] = message.dieX
                row["die_y"] = message.dieY
                row["product"] = message.product
                row["captured_at"] = message.capturedAt.map(ImageMessage.formatTimestamp)
                if let extra = message.extraJSON, let object = try? JSONSerialization.jsonObject(with: Data(extra.utf8))
                {
                    row["extra"] = object
                }
                return row
            }
            if !images.isEmpty {
                let document = try JSONSerialization.data(withJSONObject: images, options: [.sortedKeys])
                try connection.execute(
                    "SELECT record_images($1)", PostgresValue.json(String(decoding: document, as: UTF8.self)))
            }
            var inserted = 0
            if !predictions.isEmpty {
                inserted = try connection.insert(
                    into: "predictions",
                    columns: [
                        "image_id", "batch_id", "model_version", "class_name", "class_index", "confidence",
                        "probabilities", "expert_agreement", "needs_review", "kafka_topic", "kafka_partition",
                        "kafka_offset", "kafka_timestamp", "worker_id",
                    ],
                    rows: predictions.map { p -> [any PostgresEncodable] in
                        [
                            p.message.imageID, p.message.batchID, p.modelVersion, p.className, Int32(p.classIndex),
                            p.confidence, p.probabilities, p.expertAgreement, p.needsReview, p.position.topic,
                            p.position.partition, p.position.offset, p.position.timestamp, workerID,
                        ]
                    }, suffix: "ON CONFLICT (image_id, model_version) DO NOTHING")
            }
            if !deadLetters.isEmpty {
                try connection.insert(
                    into: "dead_letters",
                    columns: [
                        "topic", "kafka_partition", "kafka_offset", "kafka_key", "payload", "reason", "batch_id",
                        "image_id", "worker_id",
                    ],
                    rows: deadLetters.map { d -> [any PostgresEncodable] in
                        [
                            d.position.topic, d.position.partition, d.position.offset, d.key.map(PostgresValue.bytes),
                            d.payload.map(PostgresValue.bytes), String(d.reason.prefix(2000)), d.batchID, d.imageID,
                            workerID,
                        ]
                    }, suffix: "ON CONFLICT (topic, kafka_partition, kafka_offset) DO NOTHING")
            }
            return inserted
        }
    }
}
