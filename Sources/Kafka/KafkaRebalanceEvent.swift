/// A change of the partitions assigned to a group member, delivered to the consumer's rebalance
/// handler on the thread that is polling (or closing).
public enum KafkaRebalanceEvent: Sendable, Equatable {
    /// The partitions are now assigned; fetching starts from their committed offsets (or
    /// `auto.offset.reset` where none is committed) after the handler returns.
    case assigned([KafkaTopicPartition])
    /// The partitions are about to be taken away: the handler runs while they are still assigned,
    /// so a `commit` of the work already done in them sticks. `lost` is true when the member was
    /// thrown out of the group (session timeout, `max.poll.interval.ms` exceeded): the partitions
    /// may already belong to someone else and a commit will fail.
    case revoked([KafkaTopicPartition], lost: Bool)
}
