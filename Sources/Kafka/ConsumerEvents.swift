import CRdKafka

/// State shared with librdkafka's callbacks, which run on the thread inside `poll` or `close`
/// (under the consumer's lock), so it needs no lock of its own.
final class ConsumerEvents: @unchecked Sendable {
    let errors: ClientErrors
    let handler: KafkaConsumer.RebalanceHandler?
    let cooperative: Bool
    weak var consumer: KafkaConsumer?
    var revokedDuringPoll: Set<KafkaTopicPartition> = []

    init(errors: ClientErrors, handler: KafkaConsumer.RebalanceHandler?, cooperative: Bool) {
        self.errors = errors
        self.handler = handler
        self.cooperative = cooperative
    }

    func rebalance(_ handle: OpaquePointer, _ code: rd_kafka_resp_err_t, _ list: PartitionList.Pointer?) {
        let partitions = PartitionList.topicPartitions(list)
        switch code {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
            if cooperative {
                if let error = rd_kafka_incremental_assign(handle, list) {
                    errors.report(KafkaError(consuming: error, context: "incremental assign"))
                }
            } else {
                let result = rd_kafka_assign(handle, list)
                if result != RD_KAFKA_RESP_ERR_NO_ERROR { errors.report(KafkaError(code: result, context: "assign")) }
            }
            // Cooperative rounds that move nothing to this member still call back, with an empty list.
            if let consumer, let handler, !partitions.isEmpty { handler(consumer, .assigned(partitions)) }
        case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
            let lost = rd_kafka_assignment_lost(handle) != 0
            if let consumer, let handler, !partitions.isEmpty { handler(consumer, .revoked(partitions, lost: lost)) }
            revokedDuringPoll.formUnion(partitions)
            if cooperative {
                if let error = rd_kafka_incremental_unassign(handle, list) {
                    errors.report(KafkaError(consuming: error, context: "incremental unassign"))
                }
            } else {
                rd_kafka_assign(handle, nil)
            }
        default:
            errors.report(KafkaError(code: code, context: "rebalance"))
            rd_kafka_assign(handle, nil)
        }
    }
}

let consumerRebalanceCallback:
    @convention(c) (
        OpaquePointer?, rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?,
        UnsafeMutableRawPointer?
    ) -> Void = { handle, code, list, opaque in
        guard let handle, let opaque else { return }
        Unmanaged<ConsumerEvents>.fromOpaque(opaque).takeUnretainedValue().rebalance(handle, code, list)
    }

let consumerErrorCallback:
    @convention(c) (OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafeMutableRawPointer?) -> Void = {
        handle, code, reason, opaque in
        guard let opaque else { return }
        let events = Unmanaged<ConsumerEvents>.fromOpaque(opaque).takeUnretainedValue()
        events.errors.report(ClientErrors.error(handle: handle, code: code, reason: reason))
    }
