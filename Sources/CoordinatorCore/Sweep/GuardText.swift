/// The words people read about the mass-failure guard: the sweep status, `monitor.degraded` and
/// `monitor.mass_failure` events.
public enum GuardText {
    /// A blind verdict and what it held back.
    public static func degraded(_ reason: DegradedReason, held: Int, rule: SweepRule) -> String {
        let hold = seconds(rule.massFailureHoldMs)
        guard held > 0 else {
            return "\(reason); the hold (\(hold) s after the timeout) has passed for every silent execution: judging by the rule"
        }
        return "\(reason); holding the first strike of \(held) silent execution\(held == 1 ? "" : "s") for up to \(hold) s after the timeout (`vigil sweep release` judges now; `vigil pause` holds longer)"
    }

    /// A mass failure: how many, the evidence of health, how they are judged, and the first few.
    public static func massFailure(_ mass: MassSilence, outcome: SweepOutcome, rule: SweepRule) -> String {
        let ids = (outcome.marked.map(\.executionID) + outcome.struck.map(\.executionID)).sorted()
        var text = "\(mass); judged by the rule: FAILED after \(rule.maxStrikes) strike\(rule.maxStrikes == 1 ? "" : "s") \(seconds(rule.checkIntervalMs)) s apart"
        if !ids.isEmpty {
            text += "; executions: " + ids.prefix(10).map(\.description).joined(separator: ", ")
            if ids.count > 10 { text += " and \(ids.count - 10) more" }
        }
        return text
    }

    static func seconds(_ ms: Int64) -> String {
        ms % 1000 == 0 ? String(ms / 1000) : String(Double(ms) / 1000)
    }
}
