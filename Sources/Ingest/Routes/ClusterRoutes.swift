import Coordinator
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import CoordinatorCore
import VigilJSON

/// `GET /api/v1/cluster/members`: every member as this node's gossip sees it, plus the leader,
/// term and whether this node sees a quorum.
enum ClusterRoutes {
    static func add(to router: Router<IngestRequestContext>, routes: RouteTable, context ctx: IngestContext) {
        routes.add("/api/v1/cluster/members", .get)
        router.get("/api/v1/cluster/members") { _, _ -> Response in
            let configured = ctx.node.configuration.nodes
            var members = ctx.node.cluster?.memberList() ?? []
            if members.isEmpty, let me = configured.first(where: { $0.id == ctx.node.id }) {
                members = [MemberInfo(id: me.id, gossip: "\(me.gossip)", http: nil, state: "alive", incarnation: 0, generation: 0, lastSeenSecondsAgo: nil)]
            }
            let sweep = ctx.node.sweepStatus
            return ExecutionRoutes.json(.object([
                "members": .array(members.map { m in
                    .object([
                        "id": .string(m.id), "gossip": .string(m.gossip),
                        "http": configured.first(where: { $0.id == m.id }).map { .string("\($0.http)") } ?? .null,
                        "state": .string(m.state), "incarnation": .int(Int64(m.incarnation)), "generation": .int(Int64(m.generation)),
                        "last_seen_s": m.lastSeenSecondsAgo.map { .double(($0 * 1000).rounded() / 1000) } ?? .null,
                        "self": .bool(m.id == ctx.node.id),
                    ])
                }),
                "leader": sweep.leader.map { .string($0) } ?? .null,
                "term": .int(Int64(sweep.term)),
                "quorum": .bool(sweep.quorum),
            ]))
        }
    }
}
