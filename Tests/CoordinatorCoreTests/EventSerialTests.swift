import CoordinatorCore
import Testing

/// An event's typed serial: what its key numbers, read back exactly as the key builders wrote it.
@Suite struct EventSerialTests {
    let id = ExecutionID(high: 8, low: 1)

    func event(_ kind: EventKind, key: String, id: ExecutionID? = nil, node: String? = nil) -> NotificationEvent {
        NotificationEvent(kind: kind, key: key, executionID: id, subjectNode: node, occurredAtMs: 1_700_000_000_000, writer: "n1", term: 2)
    }

    @Test func everyKeyBuilderRoundTripsThroughItsSerial() {
        let late = event(.executionLate, key: NotificationEvent.key(.executionLate, execution: id, stamp: 1_700_000_000_042), id: id)
        #expect(late.serial == EventSerial(.stamp(1_700_000_000_042)))
        let never = event(.executionRecovered, key: NotificationEvent.key(.executionRecovered, execution: id, stamp: nil), id: id)
        #expect(never.serial == EventSerial(.stamp(nil)))
        for node in ["n2", "reminder", "never", "10.0.0.7:7946", "[::1]:7946", "a:reminder:b"] {
            let dead = event(.nodeDead, key: NotificationEvent.key(.nodeDead, node: node, sequence: 7), node: node)
            #expect(dead.serial == EventSerial(.sequence(7)), "node \(node)")
            #expect(!dead.isReminder, "node \(node)")
            let reminder = event(.nodeDead, key: NotificationEvent.reminderKey(of: dead.key, number: 3), node: node)
            #expect(reminder.serial == EventSerial(.sequence(7), reminder: 3), "node \(node)")
            #expect(reminder.isReminder, "node \(node)")
        }
        let restored = event(.monitorRestored, key: NotificationEvent.key(.monitorRestored, sequence: 12))
        #expect(restored.serial == EventSerial(.sequence(12)))
    }

    @Test func keysTheBuildersWouldNotMakeHaveNoSerial() {
        #expect(event(.nodeDead, key: "node.dead:n2:07", node: "n2").serial == nil)
        #expect(event(.nodeDead, key: "node.dead:n3:7", node: "n2").serial == nil)
        #expect(event(.nodeDead, key: "node.dead:n2:7", node: nil).serial == nil)
        #expect(event(.monitorDegraded, key: "monitor.restored:2").serial == nil)
        #expect(event(.executionLate, key: "execution.late:\(id):+5", id: id).serial == nil)
        #expect(event(.executionFailed, key: NotificationEvent.key(.executionFailed, execution: id), id: id).serial == nil)
        #expect(!event(.serviceDown, key: "service.down:web:reminder:1").isReminder)
    }

    /// Keys are durable as text, as before: a record written by any version reads with its serial.
    @Test func aDecodedRecordCarriesItsSerial() {
        let dead = event(.nodeDead, key: "node.dead:n2:4", node: "n2")
        let decoded = NotificationEvent(payload: dead.payload, writer: "n1", term: 2, timeMs: 1_700_000_000_000)
        #expect(decoded == dead)
        #expect(decoded?.serial == EventSerial(.sequence(4)))
    }
}
