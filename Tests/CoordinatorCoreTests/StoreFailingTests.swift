import CoordinatorCore
import Testing

/// A store that fails fast (ENOTCONN from a GlusterFS client cut off from its bricks) is as
/// unfit to lead as one that hangs; it is fit again once writes and reads work for the
/// recovery period.
@Suite struct StoreFailingTests {
    @Test func aFailedWriteMakesTheStoreUnfitUntilAWriteSucceeds() {
        var health = StoreHealth()
        #expect(health.fitToLead(now: 1_000, recoveryMs: 5_000))
        health.writeFailed("open: Transport endpoint is not connected (errno 107)", at: 1_000)
        #expect(!health.fitToLead(now: 1_001, recoveryMs: 5_000))
        #expect(!health.fitToLead(now: 5_999, recoveryMs: 5_000))
        health.writeSucceeded(at: 6_500)
        #expect(health.fitToLead(now: 6_500, recoveryMs: 5_000))
    }

    @Test func anOldFailureWithNoWriteSinceIsForgottenAfterTheRecoveryPeriod() {
        var health = StoreHealth()
        health.writeFailed("io", at: 1_000)
        #expect(health.fitToLead(now: 6_000, recoveryMs: 5_000))
    }

    @Test func failedReadsCountAndASuccessfulReadClearsThem() {
        var health = StoreHealth()
        health.read(succeeded: false, at: 2_000)
        #expect(!health.fitToLead(now: 2_100, recoveryMs: 5_000))
        // A successful read does not clear a failed write, nor the reverse.
        health.writeFailed("io", at: 2_200)
        health.read(succeeded: true, at: 2_300)
        #expect(!health.fitToLead(now: 2_400, recoveryMs: 5_000))
        health.writeSucceeded(at: 2_500)
        #expect(health.fitToLead(now: 2_600, recoveryMs: 5_000))
    }
}
