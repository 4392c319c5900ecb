import Coordinator
import CoordinatorCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Ingest
import NIOCore
import Testing
import VigilJSON

/// The dashboard in process: content types and cache headers, escaping of everything a
/// container sends, server-side filters and paging, badges.
@Suite struct DashboardTests {
    func beat(_ client: some TestClientProtocol, _ id: String, container: String, progress: String) async throws {
        let body = #"{"execution_id":"\#(id)","container_id":"\#(container)","timestamp":1700000000,"status":"running","progress":\#(progress)}"#
        let (status, _) = try await client.post("/api/v1/monitoring/heartbeat", json: body)
        #expect(status == .ok)
    }

    func raw(_ client: some TestClientProtocol, _ uri: String) async throws -> (HTTPResponse.Status, HTTPFields, String) {
        try await client.execute(uri: uri, method: .get) { ($0.status, $0.headers, String(buffer: $0.body)) }
    }

    @Test func thePageEscapesWhatContainersSendAndServesItsAssets() async throws {
        let t = try TestNode()
        try await t.test { client in
            try await beat(client, "550e8400-e29b-41d4-a716-446655440000", container: "crawler-<img src=x onerror=alert(1)>",
                           progress: #"{"percentage": 42.5, "current_stage": "<script>alert('x')</script>", "current_url": "https://e.com/?a=1&b=\"2\""}"#)
            let (status, headers, html) = try await raw(client, "/")
            #expect(status == .ok)
            #expect(headers[.contentType] == "text/html; charset=utf-8")
            #expect(headers[.cacheControl] == "no-store")
            // Text: each of < > & " ' as its entity, and never raw.
            #expect(html.contains("<small>42.5% &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; · https://e.com/?a=1&amp;b=&quot;2&quot;</small>"))
            #expect(html.contains("<td>crawler-&lt;img src=x onerror=alert(1)&gt;</td>"))
            for raw in ["<script>alert", "alert('x')", "</script> ·", "a=1&b", "b=\"2\"", "<img src=x", "alert(1)>"] {
                #expect(!html.contains(raw), "\(raw) must not reach the page unescaped")
            }
            // An attribute: the search box echoes the query, quotes and all, escaped.
            let (_, _, searched) = try await raw(client, "/?q=%22%3E%3Cb%20x=%27y%27%3E%26")
            #expect(searched.contains(#"value="&quot;&gt;&lt;b x=&#39;y&#39;&gt;&amp;""#))
            #expect(!searched.contains(#""><b x='y'>&"#) && !searched.contains("<b x="))
            #expect(html.contains("width: 42.5%"), "the progress bar's width comes from percentage")
            #expect(html.contains("/assets/app.js?v="))
            let (jsStatus, jsHeaders, js) = try await raw(client, "/assets/app.js")
            #expect(jsStatus == .ok && jsHeaders[.contentType] == "text/javascript; charset=utf-8")
            #expect(jsHeaders[.cacheControl] == "public, max-age=31536000, immutable")
            #expect(js.contains("textContent") && !js.contains("innerHTML"))
            let (cssStatus, cssHeaders, _) = try await raw(client, "/assets/app.css")
            #expect(cssStatus == .ok && cssHeaders[.contentType] == "text/css; charset=utf-8")
            let (missing, _, _) = try await raw(client, "/assets/nope.js")
            #expect(missing == .notFound)
        }
    }

    @Test func filtersSearchAndPagingHappenOnTheServer() async throws {
        let t = try TestNode()
        try await t.test { client in
            for n in 1...7 {
                let id = "00000000-0000-4000-8000-00000000000\(n)"
                try await beat(client, id, container: n <= 3 ? "crawler-\(n)" : "etl-\(n)", progress: #"{"crawled_urls": \#(n), "total_urls": 10}"#)
            }
            _ = try await client.post("/api/v1/monitoring/completion", json: #"{"execution_id":"00000000-0000-4000-8000-000000000007","container_id":"etl-7","success":false,"error_message":"boom"}"#)
            var (status, page) = try await client.get("/api/v1/dashboard?limit=3")
            #expect(status == .ok)
            #expect(page["executions"]?.arrayValue.count == 3)
            let next = page["nextLink"]
            #expect(next == .string("/?after=00000000-0000-4000-8000-000000000003"))
            (_, page) = try await client.get("/api/v1/dashboard?limit=3&after=00000000-0000-4000-8000-000000000006")
            #expect(page["executions"]?.arrayValue.map { $0["id"] } == [.string("00000000-0000-4000-8000-000000000007")])
            (_, page) = try await client.get("/api/v1/dashboard?q=crawler")
            #expect(page["executions"]?.arrayValue.count == 3)
            (_, page) = try await client.get("/api/v1/dashboard?q=00000000-0000-4000-8000-000000000005")
            #expect(page["executions"]?.arrayValue.map { $0["container"] } == [.string("etl-5")])
            (_, page) = try await client.get("/api/v1/dashboard?status=failed")
            #expect(page["executions"]?.arrayValue.map { $0["displayLabel"] } == [.string("FAILED")])
            (_, page) = try await client.get("/api/v1/dashboard?status=late")
            #expect(page["executions"]?.arrayValue.isEmpty == true)
            let row = try #require(page["counts"])
            #expect(row["failed"] == .int(1) && row["running"] == .int(6) && row["late"] == .int(0))
            (_, page) = try await client.get("/api/v1/dashboard?q=crawler-2")
            #expect(page["executions"]?.arrayValue.first?["percent"] == .double(20), "crawled_urls / total_urls")
            let (bad, error) = try await client.get("/api/v1/dashboard?status=zombie")
            #expect(bad == .badRequest && error["status"] == .string("error"))
        }
    }

    @Test func badgesForAnExecutionAndTheCluster() async throws {
        let t = try TestNode()
        try await t.test { client in
            let id = "550e8400-e29b-41d4-a716-446655440000"
            try await beat(client, id, container: "c", progress: "{}")
            let (status, headers, svg) = try await raw(client, "/badge/\(id).svg")
            #expect(status == .ok && headers[.contentType] == "image/svg+xml; charset=utf-8")
            #expect(svg.hasPrefix("<svg") && svg.contains(">running</text>"))
            let (_, json) = try await client.get("/badge/\(id).json")
            #expect(json["schemaVersion"] == .int(1) && json["message"] == .string("running") && json["label"] == .string("job"))
            let (unknown, _) = try await client.get("/badge/6ba7b810-9dad-11d1-80b4-00c04fd430c8.json")
            #expect(unknown == .notFound)
            let (cluster, _, clusterSVG) = try await raw(client, "/badge/cluster.svg")
            #expect(cluster == .ok && clusterSVG.contains("vigil"))
            let (invalid, _) = try await client.get("/badge/nope.json")
            #expect(invalid == .badRequest)
        }
    }
}
