import Logging
import Metrics
import NIOCore
import NIOPosix
import Synchronization

/// The service's errands: crash checks of new suspects and host-name resolutions, each a child
/// task of the errand group ``GossipService/run()`` owns (so shutdown cancels and awaits them),
/// and the address cache the send path reads without blocking.
extension GossipService {
    /// Queues a look at a new suspect's port (``CrashEvidence``), once per suspicion.
    func checkForCrash(_ member: Member) {
        guard configuration.crashProbePorts[member.identity.id] != nil else { return }
        guard state.withLock({ $0.crashChecks.insert("\(member.identity.id)#\(member.incarnation)").inserted }) else { return }
        if case .dropped = errandQueue.yield(.crashCheck(member)) {
            _ = state.withLock { $0.crashChecks.remove("\(member.identity.id)#\(member.incarnation)") }
        }
    }

    /// Refused twice, `gap` apart, while the member is still suspect at the same incarnation:
    /// convicts it at once.
    func lookForCrash(_ member: Member) async {
        let probe = CrashProbe(ports: configuration.crashProbePorts, timeout: .milliseconds(300), gap: .milliseconds(60))
        let key = "\(member.identity.id)#\(member.incarnation)"
        defer { _ = state.withLock { $0.crashChecks.remove(key) } }
        guard let address = probe.ports[member.identity.id] else { return }
        let first = (look: await probe.look(at: address), at: moment())
        guard case .lookAgain(let at) = CrashEvidence.verdict(first: first, second: nil, gap: probe.gap) else { return }
        do {
            try await clock.sleep(for: at - moment())
        } catch {
            return  // shutting down
        }
        guard let now = self.member(member.identity.id), now.status == .suspect, now.incarnation == member.incarnation else { return }
        let second = (look: await probe.look(at: address), at: moment())
        guard CrashEvidence.verdict(first: first, second: second, gap: probe.gap) == .convict else { return }
        if convict(member.identity.id, incarnation: member.incarnation) {
            metrics.crashConvictions.increment()
            logger.info("Convicted a crashed peer early: its port refused connections twice", metadata: [
                "gossip.peer": "\(member.identity)", "gossip.port": "\(address)",
            ])
        }
    }

    /// Runs the errands (crash checks, name resolutions) as child tasks until cancelled.
    func runErrands() async {
        await withDiscardingTaskGroup { group in
            for await errand in errands {
                switch errand {
                case .crashCheck(let member): group.addTask { await self.lookForCrash(member) }
                case .resolve(let address): group.addTask { await self.resolve(address) }
                }
            }
        }
    }

    func resolve(_ address: HostPort) async {
        defer { _ = state.withLock { $0.resolving.remove(address) } }
        do {
            let resolved = try await NIOThreadPool.singleton.runIfActive {
                try SocketAddress.makeAddressResolvingHost(address.host, port: Int(address.port))
            }
            cache(resolved, for: address)
        } catch {
            logger.debug("gossip could not resolve a peer's host name; trying again at the next send", metadata: ["gossip.peer": "\(address)", "error": "\(error)"])
        }
    }

    /// The socket address to send to: from the cache, parsed if `address` is numeric, else
    /// `nil` while its host name is resolved on the blocking pool (the datagram is skipped; SWIM
    /// sends again next round).
    func socketAddress(_ address: HostPort) -> SocketAddress? {
        if let cached = state.withLock({ $0.addresses[address] }) { return cached }
        if let parsed = try? SocketAddress(ipAddress: address.host, port: Int(address.port)) {
            cache(parsed, for: address)
            return parsed
        }
        if state.withLock({ $0.resolving.count < Self.cacheLimit && $0.resolving.insert(address).inserted }) {
            if case .dropped = errandQueue.yield(.resolve(address)) { _ = state.withLock { $0.resolving.remove(address) } }
        }
        return nil
    }

    func cache(_ resolved: SocketAddress, for address: HostPort) {
        state.withLock { state in
            if state.addresses.count >= Self.cacheLimit { state.addresses.removeAll(keepingCapacity: true) }
            state.addresses[address] = resolved
        }
    }
}
