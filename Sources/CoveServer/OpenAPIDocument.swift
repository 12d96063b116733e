/// The API's OpenAPI 3.1 description, served at `/openapi.yaml`. A test
/// checks that it names exactly the routes the router has.
enum OpenAPIDocument {
  static let yaml = #"""
    openapi: 3.1.0
    info:
      title: Cove
      version: 0.1.0
      description: >-
        Disposable Linux microVM sandboxes. Every route but /health needs an API key.
        Commands with a terminal (or live stdin) run over a WebSocket at
        GET /v1/sandboxes/{id}/exec/ws: the client's first text message is
        {"type": "start", "cmd": [...], "env", "cwd", "user", "timeout", "pty": {"rows", "cols"}};
        then binary messages are standard input and text messages are controls
        ({"type": "stdin", "data": base64}, {"type": "close_stdin"},
        {"type": "resize", "rows", "cols"}, {"type": "signal", "signal"}). The server sends
        {"type": "started", "pid"}, {"type": "stdout"|"stderr", "data": base64},
        {"type": "exit", "exit_code", "signal", "timed_out"} or {"type": "error", "code", "message"}.
    servers:
      - url: http://127.0.0.1:8080
    security:
      - bearer: []
    components:
      securitySchemes:
        bearer:
          type: http
          scheme: bearer
      parameters:
        id:
          name: id
          in: path
          required: true
          schema: {type: string, maxLength: 64}
        pid:
          name: pid
          in: path
          required: true
          schema: {type: integer, minimum: 1, maximum: 4294967295}
        path:
          name: path
          in: query
          required: true
          description: An absolute path inside the sandbox.
          schema: {type: string, pattern: "^/", maxLength: 4096}
      responses:
        error:
          description: An error.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Error"}
        empty:
          description: Done.
      schemas:
        Error:
          type: object
          required: [error]
          properties:
            error:
              type: object
              required: [code, message]
              properties:
                code: {type: string}
                message: {type: string}
        StringMap:
          type: object
          additionalProperties: {type: string}
        CreateSandbox:
          type: object
          properties:
            image: {type: string, pattern: "^[a-z0-9][a-z0-9._-]{0,62}$", description: "Default: the daemon's --default-image (debian)."}
            cpus: {type: integer, minimum: 1, maximum: 64, default: 1, description: At most the host's CPU count.}
            memory_mib: {type: integer, minimum: 192, maximum: 65536, default: 256}
            timeout: {type: integer, minimum: 1, maximum: 86400, default: 300, description: Seconds until the sandbox is stopped.}
            env: {$ref: "#/components/schemas/StringMap"}
            metadata: {$ref: "#/components/schemas/StringMap"}
            template: {type: string, description: Clone this template (its image and size) instead of booting.}
            run_payload: {type: string, description: "Given to the run hook of a clone of a template with hooks."}
        Sandbox:
          type: object
          required: [id, image, cpus, memory_mib, state, created_at, expires_at, metadata]
          properties:
            id: {type: string}
            image: {type: string}
            cpus: {type: integer}
            memory_mib: {type: integer}
            state: {type: string, enum: [queued, starting, running, paused, snapshotting, suspended, stopping, stopped, error]}
            created_at: {type: string, format: date-time}
            expires_at: {type: string, format: date-time}
            metadata: {$ref: "#/components/schemas/StringMap"}
            error: {type: string}
            template: {type: string}
            suspended_at: {type: string, format: date-time, description: "While suspended: since when (the timeout stands still)."}
        SandboxList:
          type: object
          required: [sandboxes]
          properties:
            sandboxes: {type: array, items: {$ref: "#/components/schemas/Sandbox"}}
        SandboxTemplate:
          type: object
          required: [name]
          properties:
            name: {type: string, pattern: "^[a-z0-9][a-z0-9._-]{0,62}$"}
        Timeout:
          type: object
          required: [timeout]
          properties:
            timeout: {type: integer, minimum: 1, maximum: 86400}
        Command:
          type: object
          required: [cmd]
          properties:
            cmd: {type: array, minItems: 1, items: {type: string}}
            env: {$ref: "#/components/schemas/StringMap"}
            cwd: {type: string}
            user: {type: string}
            timeout: {type: integer, minimum: 0, maximum: 86400, description: Seconds; 0 for none.}
            stdin: {type: string, description: Given to the command's standard input, which is then closed.}
            tag: {type: string, description: For background processes, a name to find it by.}
        ExecResult:
          type: object
          required: [stdout, stderr, exit_code, timed_out, base64, truncated]
          properties:
            stdout: {type: string}
            stderr: {type: string}
            exit_code: {type: integer, description: The exit code, or 128 + the signal that ended it.}
            signal: {type: integer}
            timed_out: {type: boolean}
            base64: {type: boolean, description: stdout and stderr are base64 because one of them is not UTF-8.}
            truncated: {type: boolean, description: Output past 16 MiB per stream was dropped.}
        Started:
          type: object
          required: [pid]
          properties:
            pid: {type: integer}
        Process:
          type: object
          required: [pid, tag, cmd, pty, background]
          properties:
            pid: {type: integer}
            tag: {type: string}
            cmd: {type: array, items: {type: string}}
            pty: {type: boolean}
            background: {type: boolean}
        ProcessList:
          type: object
          required: [processes]
          properties:
            processes: {type: array, items: {$ref: "#/components/schemas/Process"}}
        Stdin:
          type: object
          properties:
            data: {type: string}
            data_base64: {type: string, contentEncoding: base64}
            close: {type: boolean}
        Signal:
          type: object
          required: [signal]
          properties:
            signal: {type: integer, minimum: 1, maximum: 64}
        FileInfo:
          type: object
          required: [path, name, type, size, mode, modified_at]
          properties:
            path: {type: string}
            name: {type: string}
            type: {type: string, enum: [file, directory, symlink, other]}
            size: {type: integer}
            mode: {type: integer}
            modified_at: {type: string, format: date-time}
            symlink_target: {type: string}
        FileList:
          type: object
          required: [entries]
          properties:
            entries: {type: array, items: {$ref: "#/components/schemas/FileInfo"}}
        MakeDirectory:
          type: object
          required: [path]
          properties:
            path: {type: string, pattern: "^/"}
            parents: {type: boolean}
            mode: {type: integer, minimum: 0, maximum: 4095}
        Rename:
          type: object
          required: [from, to]
          properties:
            from: {type: string, pattern: "^/"}
            to: {type: string, pattern: "^/"}
        CreateTemplate:
          type: object
          required: [name]
          properties:
            name: {type: string, pattern: "^[a-z0-9][a-z0-9._-]{0,62}$"}
            image: {type: string, pattern: "^[a-z0-9][a-z0-9._-]{0,62}$"}
            cpus: {type: integer, minimum: 1, maximum: 64, default: 1}
            memory_mib: {type: integer, minimum: 192, maximum: 65536, default: 256}
            start_cmd: {type: array, minItems: 1, items: {type: string}, description: Started in the background; keeps running in clones.}
            ready_cmd: {type: array, minItems: 1, items: {type: string}, description: Run until it exits 0; then the snapshot is taken. It is the ready hook.}
            hooks: {$ref: "#/components/schemas/Hooks"}
            services: {type: array, items: {$ref: "#/components/schemas/Service"}}
        Hooks:
          type: object
          description: Lifecycle hook commands (AWS Lambda MicroVM contract), driven by the daemon for clones.
          properties:
            validate: {type: array, minItems: 1, items: {type: string}, description: Each time a clone starts; it must succeed.}
            run: {type: array, minItems: 1, items: {type: string}, description: Once per clone, with run_payload on stdin.}
            suspend: {type: array, minItems: 1, items: {type: string}, description: Before a suspend; failing refuses it.}
            resume: {type: array, minItems: 1, items: {type: string}, description: After a resume from disk.}
            terminate: {type: array, minItems: 1, items: {type: string}, description: Before the sandbox is stopped.}
            http_port: {type: integer, minimum: 1, maximum: 65535, description: "The guest serves POST /aws/lambda-microvms/runtime/v1/{hook} on this port."}
        Service:
          type: object
          required: [name, cmd]
          properties:
            name: {type: string, pattern: "^[a-z0-9][a-z0-9._-]{0,62}$"}
            cmd: {type: array, minItems: 1, items: {type: string}}
            user: {type: string, description: User name or uid; root when absent.}
            group: {type: string}
            env: {$ref: "#/components/schemas/StringMap"}
            cwd: {type: string}
            restart: {type: string, enum: [on-failure, always, never], default: on-failure}
        ServiceStatus:
          type: object
          required: [name, state, restarts, uid, gid]
          properties:
            name: {type: string}
            state: {type: string, enum: [running, backoff, exited]}
            pid: {type: integer}
            restarts: {type: integer}
            last_exit: {type: integer}
            uid: {type: integer}
            gid: {type: integer}
        ServiceList:
          type: object
          required: [services]
          properties:
            services: {type: array, items: {$ref: "#/components/schemas/ServiceStatus"}}
        HookHistory:
          type: object
          required: [history]
          properties:
            history:
              type: array
              items:
                type: object
                required: [hook, outcome, at]
                properties:
                  hook: {type: string}
                  outcome: {type: string, enum: [done, not_ready, already_done, failed, refused]}
                  at: {type: string, format: date-time}
        Template:
          type: object
          required: [name, image, cpus, memory_mib, created_at]
          properties:
            name: {type: string}
            image: {type: string}
            cpus: {type: integer}
            memory_mib: {type: integer}
            start_cmd: {type: array, items: {type: string}}
            ready_cmd: {type: array, items: {type: string}}
            hooks: {$ref: "#/components/schemas/Hooks"}
            services: {type: array, items: {$ref: "#/components/schemas/Service"}}
            created_at: {type: string, format: date-time}
        TemplateList:
          type: object
          required: [templates]
          properties:
            templates: {type: array, items: {$ref: "#/components/schemas/Template"}}
        Health:
          type: object
          required: [status, version, sandboxes]
          properties:
            status: {type: string}
            version: {type: string}
            sandboxes: {type: integer}
    paths:
      /health:
        get:
          summary: Liveness, without a key.
          security: []
          responses:
            "200":
              description: The daemon runs.
              content:
                application/json:
                  schema: {$ref: "#/components/schemas/Health"}
      /metrics:
        get:
          summary: Prometheus metrics.
          responses:
            "200":
              description: Metrics in the Prometheus text format.
              content:
                text/plain: {schema: {type: string}}
            "401": {$ref: "#/components/responses/error"}
      /openapi.yaml:
        get:
          summary: This document.
          responses:
            "200":
              description: The OpenAPI document.
              content:
                application/yaml: {schema: {type: string}}
            "401": {$ref: "#/components/responses/error"}
      /v1/sandboxes:
        post:
          summary: Create a sandbox; answers once it is running.
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: "#/components/schemas/CreateSandbox"}
          responses:
            "201":
              description: The running sandbox.
              content:
                application/json:
                  schema: {$ref: "#/components/schemas/Sandbox"}
            "400": {$ref: "#/components/responses/error"}
            "401": {$ref: "#/components/responses/error"}
            "429": {$ref: "#/components/responses/error"}
            "500": {$ref: "#/components/responses/error"}
            "503": {$ref: "#/components/responses/error"}
        get:
          summary: List sandboxes.
          parameters:
            - name: state
              in: query
              schema: {type: string, enum: [queued, starting, running, paused, snapshotting, suspended, stopping, stopped, error]}
            - name: metadata
              in: query
              description: key=value; repeat to require several.
              schema: {type: array, items: {type: string, pattern: "="}}
              style: form
              explode: true
          responses:
            "200":
              description: The sandboxes, oldest first.
              content:
                application/json:
                  schema: {$ref: "#/components/schemas/SandboxList"}
            "400": {$ref: "#/components/responses/error"}
            "401": {$ref: "#/components/responses/error"}
      /v1/templates:
        post:
          summary: Make a template; answers once its snapshot is taken.
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: "#/components/schemas/CreateTemplate"}
          responses:
            "201":
              description: The template.
              content:
                application/json:
                  schema: {$ref: "#/components/schemas/Template"}
            "400": {$ref: "#/components/responses/error"}
            "401": {$ref: "#/components/responses/error"}
            "409": {$ref: "#/components/responses/error"}
            "429": {$ref: "#/components/responses/error"}
        get:
          summary: List templates.
          responses:
            "200":
              description: The templates.
              content:
                application/json:
                  schema: {$ref: "#/components/schemas/TemplateList"}
            "401": {$ref: "#/components/responses/error"}
      /v1/templates/{name}:
        parameters:
          - name: name
            in: path
            required: true
            schema: {type: string, maxLength: 64}
        get:
          summary: One template.
          responses:
            "200":
              description: The template.
              content:
                application/json:
                  schema: {$ref: "#/components/schemas/Template"}
            "401": {$ref: "#/components/responses/error"}
            "404": {$ref: "#/components/responses/error"}
        delete:
          summary: Delete a template, unless sandboxes cloned from it run.
          responses:
            "204": {$ref: "#/components/responses/empty"}
            "401": {$ref: "#/components/responses/error"}
            "404": {$ref: "#/components/responses/error"}
            "409": {$ref: "#/components/responses/error"}
      /v1/sandboxes/{id}:
        parameters: [{$ref: "#/components/parameters/id"}]
        get:
          summary: One sandbox.
          responses:
            "200":
              description: The sandbox.
              content:
                application/json:
                  schema: {$ref: "#/components/schemas/Sandbox"}
            "401": {$ref: "#/components/responses/error"}
            "404": {$ref: "#/components/responses/error"}
        delete:
          summary: Stop a sandbox and forget it.
          responses:
            "204": {$ref: "#/components/responses/empty"}
            "401": {$ref: "#/components/responses/error"}
            "404": {$ref: "#/components/responses/error"}
            "409": {$ref: "#/components/responses/error"}
      /v1/sandboxes/{id}/timeout:
        parameters: [{$ref: "#/components/parameters/id"}]
        post:
          summary: Set the sandbox's deadline to this many seconds from now.
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: "#/components/schemas/Timeout"}
          responses:
            "200":
              description: The sandbox with its new deadline.
              content:
                application/json:
                  schema: {$ref: "#/components/schemas/Sandbox"}
            "400": {$ref: "#/components/responses/error"}
            "401": {$ref: "#/components/responses/error"}
            "404": {$ref: "#/components/responses/error"}
            "409": {$ref: "#/components/responses/error"}
      /v1/sandboxes/{id}/pause:
        parameters: [{$ref: "#/components/parameters/id"}]
        post:
          summary: Stop the sandbox's vCPUs in place (memory and processes stay).
          responses:
            "200":
              description: The paused sandbox.
              content:
                application/json:
                  schema: {$ref: "#/components/schemas/Sandbox"}
            "401": {$ref: "#/components/responses/error"}
            "404": {$ref: "#/components/responses/error"}
            "409": {$ref: "#/components/responses/error"}
            "503": {$ref: "#/components/responses/error"}
      /v1/sandboxes/{id}/resume:
        parameters: [{$ref: "#/components/parameters/id"}]
        post:
          summary: Let a paused sandbox run again, or bring a suspended one back from disk; its clock is set to the host's.
          responses:
            "200":
              description: The running sandbox.
              content:
                application/json:
                  schema: {$ref: "#/components/schemas/Sandbox"}
            "401": {$ref: "#/components/responses/error"}
            "404": {$ref: "#/components/responses/error"}
            "409": {$ref: "#/components/responses/error"}
            "503": {$ref: "#/components/responses/error"}
      /v1/sandboxes/{id}/suspend:
        parameters: [{$ref: "#/components/parameters/id"}]
        post:
          summary: Save the sandbox's memory, devices and disk to disk and end its VM; resume brings it back, also after a daemon restart.
          responses:
            "200":
              description: The suspended sandbox.
              content:
                application/json:
                  schema: {$ref: "#/components/schemas/Sandbox"}
            "401": {$ref: "#/components/responses/error"}
            "404": {$ref: "#/components/responses/error"}
            "409": {$ref: "#/components/responses/error"}
            "503": {$ref: "#/components/responses/error"}
            "507": {$ref: "#/components/responses/error"}
      /v1/sandboxes/{id}/template:
        parameters: [{$ref: "#/components/parameters/id"}]
        post:
          summary: Make a template of the sandbox as it stands; the sandbox carries on.
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: "#/components/schemas/SandboxTemplate"}
          responses:
            "201":
              description: The template.
              content:
                application/json:
                  schema: {$ref: "#/components/schemas/Template"}
            "400": {$ref: "#/components/responses/error"}
            "401": {$ref: "#/components/responses/error"}
            "404": {$ref: "#/components/responses/error"}
            "409": {$ref: "#/components/responses/error"}
            "429": {$ref: "#/components/responses/error"}
            "503": {$ref: "#/components/responses/error"}
            "507": {$ref: "#/components/responses/error"}
      /v1/sandboxes/{id}/logs:
        parameters: [{$ref: "#/components/parameters/id"}]
        get:
          summary: The end of the sandbox's console log.
          responses:
            "200":
              description: Console output.
              content:
                text/plain: {schema: {type: string}}
            "401": {$ref: "#/components/responses/error"}
            "404": {$ref: "#/components/responses/error"}
            "409": {$ref: "#/components/responses/error"}
      /v1/sandboxes/{id}/hooks/{hook}:
        parameters:
          - {$ref: "#/components/parameters/id"}
          - name: hook
            in: path
            required: true
            schema: {type: string, enum: [ready, validate, run, suspend, resume, terminate]}
        post:
          summary: Run a lifecycle hook in the sandbox; the body is its payload (stdin), the answer its stdout.
          requestBody:
            content:
              application/octet-stream: {schema: {type: string, format: binary}}
          responses:
            "200":
              description: Done (or done before); the command's output.
              content:
                application/octet-stream: {schema: {type: string, format: binary}}
            "400": {$ref: "#/components/responses/error"}
            "401": {$ref: "#/components/responses/error"}
            "404": {$ref: "#/components/responses/error"}
            "409": {$ref: "#/components/responses/error"}
            "422": {$ref: "#/components/responses/error"}
            "503": {$ref: "#/components/responses/error"}
      /v1/sandboxes/{id}/hooks:
        parameters: [{$ref: "#/components/parameters/id"}]
        get:
          summary: The hooks that ran in the sandbox, oldest first.
          responses:
            "200":
              description: The history.
              content:
                application/json:
                  schema: {$ref: "#/components/schemas/HookHistory"}
            "401": {$ref: "#/components/responses/error"}
            "404": {$ref: "#/components/responses/error"}
            "409": {$ref: "#/components/responses/error"}
            "503": {$ref: "#/components/responses/error"}
      /v1/sandboxes/{id}/services:
        parameters: [{$ref: "#/components/parameters/id"}]
        get:
          summary: The sandbox's supervised services.
          responses:
            "200":
              description: The services.
              content:
                application/json:
                  schema: {$ref: "#/components/schemas/ServiceList"}
            "401": {$ref: "#/components/responses/error"}
            "404": {$ref: "#/components/responses/error"}
            "409": {$ref: "#/components/responses/error"}
            "503": {$ref: "#/components/responses/error"}
      /v1/sandboxes/{id}/services/{name}/logs:
        parameters:
          - {$ref: "#/components/parameters/id"}
          - name: name
            in: path
            required: true
            schema: {type: string}
          - name: tail
            in: query
            schema: {type: integer, minimum: 0, maximum: 1048576, default: 65536}
        get:
          summary: The end of a service's log (stdout and stderr).
          responses:
            "200":
              description: Log text.
              content:
                text/plain: {schema: {type: string}}
            "401": {$ref: "#/components/responses/error"}
            "404": {$ref: "#/components/responses/error"}
            "409": {$ref: "#/components/responses/error"}
            "503": {$ref: "#/components/responses/error"}
      /v1/sandboxes/{id}/exec:
        parameters: [{$ref: "#/components/parameters/id"}]
        post:
          summary: Run a command and wait for it.
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: "#/components/schemas/Command"}
          responses:
            "200":
              description: Its output and exit status.
              content:
                application/json:
                  schema: {$ref: "#/components/schemas/ExecResult"}
            "400": {$ref: "#/components/responses/error"}
            "401": {$ref: "#/components/responses/error"}
            "404": {$ref: "#/components/responses/error"}
            "409": {$ref: "#/components/responses/error"}
            "503": {$ref: "#/components/responses/error"}
      /v1/sandboxes/{id}/exec/stream:
        parameters: [{$ref: "#/components/parameters/id"}]
        post:
          summary: Run a command with live output.
          description: >-
            Server-Sent Events: started {pid}, stdout and stderr {data (base64)},
            exit {exit_code, signal, timed_out}, or error {code, message}.
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: "#/components/schemas/Command"}
          responses:
            "200":
              description: The event stream.
              content:
                text/event-stream: {schema: {type: string}}
            "400": {$ref: "#/components/responses/error"}
            "401": {$ref: "#/components/responses/error"}
            "404": {$ref: "#/components/responses/error"}
            "409": {$ref: "#/components/responses/error"}
            "503": {$ref: "#/components/responses/error"}
      /v1/sandboxes/{id}/processes:
        parameters: [{$ref: "#/components/parameters/id"}]
        post:
          summary: Start a background process.
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: "#/components/schemas/Command"}
          responses:
            "201":
              description: It started.
              content:
                application/json:
                  schema: {$ref: "#/components/schemas/Started"}
            "400": {$ref: "#/components/responses/error"}
            "401": {$ref: "#/components/responses/error"}
            "404": {$ref: "#/components/responses/error"}
            "409": {$ref: "#/components/responses/error"}
            "503": {$ref: "#/components/responses/error"}
        get:
          summary: The running processes the agent started.
          responses:
            "200":
              description: The processes.
              content:
                application/json:
                  schema: {$ref: "#/components/schemas/ProcessList"}
            "401": {$ref: "#/components/responses/error"}
            "404": {$ref: "#/components/responses/error"}
            "409": {$ref: "#/components/responses/error"}
      /v1/sandboxes/{id}/processes/{pid}/stdin:
        parameters: [{$ref: "#/components/parameters/id"}, {$ref: "#/components/parameters/pid"}]
        post:
          summary: Write to a process's standard input, and optionally close it.
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: "#/components/schemas/Stdin"}
          responses:
            "204": {$ref: "#/components/responses/empty"}
            "400": {$ref: "#/components/responses/error"}
            "401": {$ref: "#/components/responses/error"}
            "404": {$ref: "#/components/responses/error"}
            "409": {$ref: "#/components/responses/error"}
      /v1/sandboxes/{id}/processes/{pid}/signal:
        parameters: [{$ref: "#/components/parameters/id"}, {$ref: "#/components/parameters/pid"}]
        post:
          summary: Send a signal to a process.
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: "#/components/schemas/Signal"}
          responses:
            "204": {$ref: "#/components/responses/empty"}
            "400": {$ref: "#/components/responses/error"}
            "401": {$ref: "#/components/responses/error"}
            "404": {$ref: "#/components/responses/error"}
            "409": {$ref: "#/components/responses/error"}
      /v1/sandboxes/{id}/processes/{pid}/stream:
        parameters: [{$ref: "#/components/parameters/id"}, {$ref: "#/components/parameters/pid"}]
        get:
          summary: Attach to a process; its output from now on and its exit, as Server-Sent Events.
          responses:
            "200":
              description: The event stream.
              content:
                text/event-stream: {schema: {type: string}}
            "401": {$ref: "#/components/responses/error"}
            "404": {$ref: "#/components/responses/error"}
            "409": {$ref: "#/components/responses/error"}
      /v1/sandboxes/{id}/files:
        parameters: [{$ref: "#/components/parameters/id"}, {$ref: "#/components/parameters/path"}]
        get:
          summary: Download a file (streamed).
          responses:
            "200":
              description: The file's bytes.
              content:
                application/octet-stream: {schema: {type: string, format: binary}}
            "400": {$ref: "#/components/responses/error"}
            "401": {$ref: "#/components/responses/error"}
            "404": {$ref: "#/components/responses/error"}
            "409": {$ref: "#/components/responses/error"}
        put:
          summary: Upload a file (streamed, replaced atomically).
          parameters:
            - name: mode
              in: query
              schema: {type: string, pattern: "^[0-7]{1,4}$", default: "644"}
            - name: parents
              in: query
              schema: {type: boolean, default: false}
          requestBody:
            required: true
            content:
              application/octet-stream: {schema: {type: string, format: binary}}
          responses:
            "200":
              description: The written file.
              content:
                application/json:
                  schema: {$ref: "#/components/schemas/FileInfo"}
            "400": {$ref: "#/components/responses/error"}
            "401": {$ref: "#/components/responses/error"}
            "403": {$ref: "#/components/responses/error"}
            "404": {$ref: "#/components/responses/error"}
            "409": {$ref: "#/components/responses/error"}
            "507": {$ref: "#/components/responses/error"}
        delete:
          summary: Remove a file or directory.
          parameters:
            - name: recursive
              in: query
              schema: {type: boolean, default: false}
          responses:
            "204": {$ref: "#/components/responses/empty"}
            "400": {$ref: "#/components/responses/error"}
            "401": {$ref: "#/components/responses/error"}
            "403": {$ref: "#/components/responses/error"}
            "404": {$ref: "#/components/responses/error"}
            "409": {$ref: "#/components/responses/error"}
      /v1/sandboxes/{id}/files/stat:
        parameters: [{$ref: "#/components/parameters/id"}, {$ref: "#/components/parameters/path"}]
        get:
          summary: Information about a file.
          responses:
            "200":
              description: The file.
              content:
                application/json:
                  schema: {$ref: "#/components/schemas/FileInfo"}
            "400": {$ref: "#/components/responses/error"}
            "401": {$ref: "#/components/responses/error"}
            "404": {$ref: "#/components/responses/error"}
            "409": {$ref: "#/components/responses/error"}
      /v1/sandboxes/{id}/files/list:
        parameters: [{$ref: "#/components/parameters/id"}, {$ref: "#/components/parameters/path"}]
        get:
          summary: A directory's entries, to a depth.
          parameters:
            - name: depth
              in: query
              schema: {type: integer, minimum: 1, maximum: 16, default: 1}
          responses:
            "200":
              description: The entries.
              content:
                application/json:
                  schema: {$ref: "#/components/schemas/FileList"}
            "400": {$ref: "#/components/responses/error"}
            "401": {$ref: "#/components/responses/error"}
            "404": {$ref: "#/components/responses/error"}
            "409": {$ref: "#/components/responses/error"}
      /v1/sandboxes/{id}/files/mkdir:
        parameters: [{$ref: "#/components/parameters/id"}]
        post:
          summary: Make a directory.
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: "#/components/schemas/MakeDirectory"}
          responses:
            "201":
              description: The directory.
              content:
                application/json:
                  schema: {$ref: "#/components/schemas/FileInfo"}
            "400": {$ref: "#/components/responses/error"}
            "401": {$ref: "#/components/responses/error"}
            "404": {$ref: "#/components/responses/error"}
            "409": {$ref: "#/components/responses/error"}
      /v1/sandboxes/{id}/files/rename:
        parameters: [{$ref: "#/components/parameters/id"}]
        post:
          summary: Rename or move a file.
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: "#/components/schemas/Rename"}
          responses:
            "200":
              description: The file at its new path.
              content:
                application/json:
                  schema: {$ref: "#/components/schemas/FileInfo"}
            "400": {$ref: "#/components/responses/error"}
            "401": {$ref: "#/components/responses/error"}
            "404": {$ref: "#/components/responses/error"}
            "409": {$ref: "#/components/responses/error"}
    """#
}
