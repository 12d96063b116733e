import CoveAPIModels
import CoveSandbox
import Foundation
import Hummingbird

extension CoveAPI {
  func addSandboxRoutes(to router: Router<CoveRequestContext>) {
    let sandboxes = router.group("/v1/sandboxes")
    sandboxes.post { request, context -> EditedResponse<Sandbox> in
      let body = try await request.decode(as: CreateSandbox.self, context: context)
      let defaults = SandboxRequest()
      let record = try await manager.create(
        SandboxRequest(
          image: body.image, cpus: body.cpus ?? defaults.cpus,
          memoryMiB: body.memoryMiB ?? defaults.memoryMiB, timeout: body.timeout ?? defaults.timeout,
          env: body.env ?? [:], metadata: body.metadata ?? [:], template: body.template,
          runPayload: body.runPayload.map { Data($0.utf8) }))
      return EditedResponse(status: .created, response: Sandbox(record))
    }
    let templates = router.group("/v1/templates")
    templates.post { request, context -> EditedResponse<Template> in
      let body = try await request.decode(as: CreateTemplateBody.self, context: context)
      let record = try await manager.createTemplate(
        TemplateRequest(
          name: body.name, image: body.image, cpus: body.cpus ?? 1, memoryMiB: body.memoryMiB ?? 256,
          startCommand: body.startCmd, readyCommand: body.readyCmd, hooks: body.hooks ?? TemplateHooks(),
          services: body.services ?? []))
      return EditedResponse(status: .created, response: Template(record))
    }
    templates.get { _, _ -> TemplateList in
      TemplateList(templates: try await manager.templates().map(Template.init))
    }
    templates.get("{name}") { _, context -> Template in
      Template(try await manager.template(context.parameters.require("name")))
    }
    templates.delete("{name}") { _, context -> HTTPResponse.Status in
      try await manager.deleteTemplate(context.parameters.require("name"))
      return .noContent
    }
    sandboxes.get { request, _ -> SandboxList in
      let query = request.uri.queryParameters
      var state: SandboxState?
      if let name = query["state"] {
        guard let parsed = SandboxState(rawValue: String(name)) else {
          throw APIError.badRequest(
            "state must be one of \(SandboxState.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        state = parsed
      }
      var metadata: [String: String] = [:]
      for pair in query[values: "metadata"] {
        guard let equals = pair.firstIndex(of: "=") else {
          throw APIError.badRequest("metadata filters are key=value")
        }
        metadata[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
      }
      return SandboxList(sandboxes: try await manager.list(state: state, metadata: metadata).map(Sandbox.init))
    }
    sandboxes.get("{id}") { _, context -> Sandbox in
      Sandbox(try await manager.get(Self.sandboxID(context)))
    }
    sandboxes.delete("{id}") { _, context -> HTTPResponse.Status in
      try await manager.delete(Self.sandboxID(context))
      return .noContent
    }
    sandboxes.post("{id}/timeout") { request, context -> Sandbox in
      let body = try await request.decode(as: TimeoutBody.self, context: context)
      return Sandbox(try await manager.extend(Self.sandboxID(context), timeout: body.timeout))
    }
    sandboxes.post("{id}/pause") { _, context -> Sandbox in
      Sandbox(try await manager.pause(Self.sandboxID(context)))
    }
    sandboxes.post("{id}/resume") { _, context -> Sandbox in
      Sandbox(try await manager.resume(Self.sandboxID(context)))
    }
    sandboxes.post("{id}/suspend") { _, context -> Sandbox in
      Sandbox(try await manager.suspend(Self.sandboxID(context)))
    }
    sandboxes.post("{id}/template") { request, context -> EditedResponse<Template> in
      let body = try await request.decode(as: SandboxTemplateBody.self, context: context)
      let record = try await manager.createTemplate(from: Self.sandboxID(context), name: body.name)
      return EditedResponse(status: .created, response: Template(record))
    }
    sandboxes.get("{id}/logs") { _, context -> Response in
      let log = try await manager.consoleLog(Self.sandboxID(context))
      return Response(
        status: .ok, headers: [.contentType: "text/plain; charset=utf-8"],
        body: .init(byteBuffer: ByteBuffer(string: log)))
    }
  }
}
