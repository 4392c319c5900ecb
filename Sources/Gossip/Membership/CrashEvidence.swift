/// When a suspect may be convicted at once instead of after the full suspicion timeout: when its
/// process is gone from a host that is still up. Pure: the shell looks (a TCP connect to the
/// suspect's HTTP port) and reports what it saw; this says what it means.
///
/// The kernel of a live host answers a connect to a port nobody listens on with a reset at once,
/// so "refused" means the process has died (or closed its listener). A paused process's kernel
/// still completes the handshake ("accepted"), and an unreachable host answers nothing ("no
/// answer"): neither is evidence, and such a suspect gets the full Lifeguard suspicion time (a
/// node paused 3 s is still never convicted). One refusal could be a restart's gap, so it takes
/// two, at least `gap` apart, both while the member is suspect at the same incarnation.
public enum CrashEvidence {
    /// What one look saw.
    public enum Look: Sendable, Hashable {
        case refused
        case accepted
        case noAnswer
    }

    /// What to do next.
    public enum Verdict: Sendable, Hashable {
        /// No evidence: let the suspicion run its course.
        case wait
        /// Look again at this moment.
        case lookAgain(at: Moment)
        /// Convict now.
        case convict
    }

    /// The verdict after the first look (`second` nil) or after both.
    public static func verdict(first: (look: Look, at: Moment), second: (look: Look, at: Moment)?, gap: Duration) -> Verdict {
        guard first.look == .refused else { return .wait }
        guard let second else { return .lookAgain(at: first.at + gap) }
        guard second.look == .refused, second.at - first.at >= gap else { return .wait }
        return .convict
    }
}
