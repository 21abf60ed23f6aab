import CRdKafka

/// Conversions between Swift partition values and `rd_kafka_topic_partition_list_t`; the lists
/// never leave this module.
enum PartitionList {
    typealias Pointer = UnsafeMutablePointer<rd_kafka_topic_partition_list_t>

    /// A new list owned by the caller (destroy with `rd_kafka_topic_partition_list_destroy`).
    static func make(_ entries: [(topic: String, partition: Int32, offset: Int64)]) -> Pointer {
        let list = rd_kafka_topic_partition_list_new(Int32(clamping: max(entries.count, 1)))!
        for entry in entries {
            let element = rd_kafka_topic_partition_list_add(list, entry.topic, entry.partition)!
            element.pointee.offset = entry.offset
        }
        return list
    }

    static func elements(_ list: UnsafePointer<rd_kafka_topic_partition_list_t>?) -> [rd_kafka_topic_partition_t] {
        guard let list, let elements = list.pointee.elems else { return [] }
        return (0..<Int(list.pointee.cnt)).map { elements[$0] }
    }

    static func topicPartitions(_ list: UnsafePointer<rd_kafka_topic_partition_list_t>?) -> [KafkaTopicPartition] {
        elements(list).map { KafkaTopicPartition(topic: String(cString: $0.topic), partition: $0.partition) }
            .sorted()
    }

    /// The first per-partition error in a list that librdkafka filled in, if any.
    static func firstError(_ list: UnsafePointer<rd_kafka_topic_partition_list_t>, context: String) -> KafkaError? {
        for element in elements(list) where element.err != RD_KAFKA_RESP_ERR_NO_ERROR {
            let location = "\(String(cString: element.topic))[\(element.partition)]"
            return KafkaError(code: element.err, context: "\(context) \(location)")
        }
        return nil
    }
}
