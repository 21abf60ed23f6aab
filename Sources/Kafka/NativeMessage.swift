import CRdKafka
import Foundation

/// Copies consumed records and consumer error events out of librdkafka's buffers into Swift values.
enum NativeMessage {
    static func message(_ message: UnsafeMutablePointer<rd_kafka_message_t>) -> KafkaMessage {
        let raw = message.pointee
        var timestampType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let milliseconds = rd_kafka_message_timestamp(message, &timestampType)
        return KafkaMessage(
            topic: String(cString: rd_kafka_topic_name(raw.rkt)), partition: raw.partition, offset: raw.offset,
            key: bytes(raw.key, raw.key_len), value: bytes(raw.payload, raw.len), headers: headers(of: message),
            timestamp: milliseconds >= 0 ? Date(timeIntervalSince1970: Double(milliseconds) / 1000) : nil)
    }

    private static func bytes(_ pointer: UnsafeMutableRawPointer?, _ count: Int) -> [UInt8]? {
        guard let pointer else { return nil }
        return Array(UnsafeRawBufferPointer(start: pointer, count: count))
    }

    private static func headers(of message: UnsafeMutablePointer<rd_kafka_message_t>) -> [KafkaHeader] {
        var native: OpaquePointer?
        guard rd_kafka_message_headers(message, &native) == RD_KAFKA_RESP_ERR_NO_ERROR, let native else { return [] }
        var headers: [KafkaHeader] = []
        var name: UnsafePointer<CChar>?
        var value: UnsafeRawPointer?
        var size = 0
        while rd_kafka_header_get_all(native, headers.count, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
            let bytes = value.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) }
            headers.append(KafkaHeader(name: name.map { String(cString: $0) } ?? "", value: bytes))
        }
        return headers
    }

    static func error(of message: UnsafeMutablePointer<rd_kafka_message_t>) -> KafkaError {
        let raw = message.pointee
        let text = rd_kafka_message_errstr(message).map { String(cString: $0) }
        var context = "consumer"
        if let topic = raw.rkt {
            context += " \(String(cString: rd_kafka_topic_name(topic)))"
            if raw.partition >= 0 { context += "[\(raw.partition)]" }
        }
        return KafkaError(code: raw.err, message: text, context: context)
    }
}
