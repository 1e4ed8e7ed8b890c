using Microsoft.AspNetCore.Http;

namespace SockCat.Services.Chat.Web;

/// <summary>
/// The chat page: plain HTML, CSS and JavaScript, no build step. It opens a WebSocket to its own address and speaks
/// docs/chat.md's JSON messages. Whatever users typed is put in the page with <c>textContent</c> only, and the
/// Content-Security-Policy allows no other script, image or connection, so no user's markup ever runs.
/// </summary>
internal static class WebChatPage
{
    public static Task ServeAsync(HttpContext context)
    {
        if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method))
        {
            context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            return Task.CompletedTask;
        }

        var host = context.Request.Host.Value;
        context.Response.ContentType = "text/html; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers.XContentTypeOptions = "nosniff";
        context.Response.Headers.ContentSecurityPolicy =
            $"default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src ws://{host} wss://{host}; base-uri 'none'; form-action 'none'";
        return HttpMethods.IsHead(context.Request.Method) ? Task.CompletedTask : context.Response.WriteAsync(Html);
    }

    public const string Html = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>sockcat chat</title>
        <style>
          * { box-sizing: border-box; }
          body { margin: 0; font: 14px/1.4 system-ui, sans-serif; color: #1d2330; background: #f3f4f7; height: 100vh; display: flex; flex-direction: column; }
          header { background: #263046; color: #fff; padding: 6px 12px; display: flex; gap: 12px; align-items: center; }
          header h1 { font-size: 16px; margin: 0; }
          #status { margin-left: auto; font-size: 13px; opacity: .9; }
          #status.down { color: #ffb4a8; }
          #login { margin: 15vh auto; background: #fff; padding: 24px; border-radius: 8px; box-shadow: 0 1px 4px #0002; width: 320px; }
          #login input { width: 100%; margin: 8px 0; }
          .error { color: #b3261e; min-height: 1.4em; }
          #main { flex: 1; display: none; min-height: 0; }
          #main.on { display: flex; }
          aside { width: 220px; background: #fff; border-right: 1px solid #dde; padding: 8px; overflow: auto; }
          aside.right { border-right: 0; border-left: 1px solid #dde; }
          aside h2 { font-size: 12px; text-transform: uppercase; color: #667; margin: 12px 0 4px; }
          ul { list-style: none; padding: 0; margin: 0; }
          li { padding: 3px 6px; border-radius: 4px; cursor: pointer; display: flex; justify-content: space-between; gap: 4px; }
          li:hover { background: #eef1f8; }
          li.active { background: #dfe6f7; font-weight: 600; }
          .count, .unread { font-size: 12px; color: #667; }
          .unread { background: #c62828; color: #fff; border-radius: 9px; padding: 0 6px; }
          .unread:empty { display: none; }
          section { flex: 1; display: flex; flex-direction: column; min-width: 0; }
          #title { padding: 8px 12px; border-bottom: 1px solid #dde; background: #fff; }
          #title b { margin-right: 8px; }
          #topic { color: #556; }
          #roomtools { display: flex; gap: 4px; flex-wrap: wrap; padding: 6px 12px; background: #fafbfd; border-bottom: 1px solid #dde; }
          #roomtools[hidden] { display: none; }
          #log { flex: 1; overflow: auto; padding: 8px 12px; }
          .line { white-space: pre-wrap; word-break: break-word; }
          .line .time { color: #99a; font-size: 12px; margin-right: 6px; }
          .line .from { font-weight: 600; margin-right: 6px; }
          .line.event { color: #667; font-style: italic; }
          .line.own .from { color: #2d5bd3; }
          #notices .notice { background: #fff6d8; border: 1px solid #f0dc8c; padding: 4px 8px; margin: 4px 12px; border-radius: 4px; }
          form.say { display: flex; gap: 6px; padding: 8px 12px; background: #fff; border-top: 1px solid #dde; }
          #text { flex: 1; }
          input, button { font: inherit; padding: 4px 8px; }
          .small input { width: 100%; margin: 2px 0; }
          .small button { width: 100%; }
        </style>
        </head>
        <body>
        <header><h1>sockcat chat</h1><span id="me"></span><span id="status">connecting…</span></header>
        <form id="login">
          <label for="nick">Choose a nick</label>
          <input id="nick" autocomplete="nickname" maxlength="30" autofocus>
          <button id="connect" type="submit">Enter</button>
          <div id="login-error" class="error"></div>
        </form>
        <div id="main">
          <aside>
            <h2>Open</h2>
            <ul id="tabs"></ul>
            <h2>Rooms</h2>
            <ul id="rooms"></ul>
            <form id="joinform" class="small">
              <input id="room-name" placeholder="#room">
              <input id="room-key" placeholder="key (if it has one)">
              <button id="join" type="submit">Join</button>
            </form>
          </aside>
          <section>
            <div id="title"><b id="tabname"></b><span id="topic"></span></div>
            <div id="roomtools" hidden>
              <button id="leave" type="button">Leave</button>
              <input id="invite-nick" placeholder="nick" size="10"><button id="invite" type="button">Invite</button>
              <input id="key" placeholder="key" size="8"><button id="set-key" type="button">Set key</button><button id="clear-key" type="button">No key</button>
              <button id="invite-only" type="button">Invite only</button>
            </div>
            <div id="notices"></div>
            <div id="log" aria-live="polite"></div>
            <div id="error" class="error" style="padding: 0 12px"></div>
            <form class="say" id="sayform">
              <input id="text" autocomplete="off" placeholder="Say something (/me waves)">
              <button id="send" type="submit">Send</button>
            </form>
          </section>
          <aside class="right">
            <h2>Members</h2>
            <ul id="members"></ul>
          </aside>
        </div>
        <script>
        "use strict";
        // Everything users typed goes into the page as text (textContent), never as markup.
        const $ = id => document.getElementById(id);
        const el = (tag, cls, text) => { const e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = text; return e; };
        const fold = s => s.toLowerCase().replace(/\[/g, "{").replace(/\]/g, "}").replace(/\\/g, "|").replace(/~/g, "^");
        const S = { ws: null, me: null, token: sessionStorage.getItem("sockcat-chat-resume"), wanted: sessionStorage.getItem("sockcat-chat-nick"),
                    tabs: new Map(), active: null, quitting: false, retry: 0, rooms: [],
                    count: null, counting: false };

        function tab(id, create) {
          const key = fold(id);
          let t = S.tabs.get(key);
          if (!t && create) {
            t = { id, room: id.startsWith("#"), lines: [], unread: 0, members: new Map(), topic: "", modes: "", key: "" };
            S.tabs.set(key, t);
            if (!S.active) S.active = key;
          }
          return t;
        }
        function memberKey(nick) { return fold(nick); }
        function isMe(nick) { return S.me && fold(nick) === fold(S.me); }
        function add(t, line) {
          t.lines.push(line);
          if (t.lines.length > 500) t.lines.shift();
          if (S.active === fold(t.id)) appendLine(line); else if (!line.quiet) t.unread++;
          renderTabs();
        }
        function say(t, from, text, kind, time) {
          add(t, { from, text, kind, time, own: isMe(from) });
        }
        function note(t, text) { add(t, { text, kind: "event", quiet: true, time: Date.now() }); }

        function appendLine(line) {
          const log = $("log");
          const stick = log.scrollTop + log.clientHeight >= log.scrollHeight - 8;
          const d = el("div", "line" + (line.kind === "event" ? " event" : "") + (line.own ? " own" : ""));
          d.appendChild(el("span", "time", new Date(line.time || Date.now()).toTimeString().slice(0, 5)));
          if (line.kind === "action") d.appendChild(el("span", "text", "* " + line.from + " " + line.text));
          else {
            if (line.from !== undefined) d.appendChild(el("span", "from", line.kind === "notice" ? "-" + line.from + "-" : "<" + line.from + ">"));
            d.appendChild(el("span", "text", line.text));
          }
          log.appendChild(d);
          if (stick) log.scrollTop = log.scrollHeight;
        }

        function renderTabs() {
          const ul = $("tabs"); ul.replaceChildren();
          for (const [key, t] of S.tabs) {
            const li = el("li", "tab" + (key === S.active ? " active" : ""));
            li.dataset.tab = t.id;
            li.appendChild(el("span", "name", t.id));
            li.appendChild(el("span", "unread", t.unread ? String(t.unread) : ""));
            li.onclick = () => show(key);
            ul.appendChild(li);
          }
        }
        function renderRooms() {
          const ul = $("rooms"); ul.replaceChildren();
          for (const r of S.rooms) {
            const li = el("li", "room");
            li.dataset.room = r.room;
            li.title = r.topic;
            li.appendChild(el("span", "name", r.room + (r.private ? " 🔒" : "")));
            li.appendChild(el("span", "count", String(r.members)));
            li.onclick = () => { const t = tab(r.room); if (t && t.joined) show(fold(r.room)); else send({ type: "join", room: r.room }); };
            ul.appendChild(li);
          }
        }
        function renderMembers() {
          const ul = $("members"); ul.replaceChildren();
          const t = S.tabs.get(S.active);
          if (!t || !t.room) return;
          const list = [...t.members.values()].sort((a, b) => (b.op - a.op) || a.nick.localeCompare(b.nick));
          for (const m of list) {
            const li = el("li", "member");
            li.dataset.nick = m.nick;
            li.appendChild(el("span", "name", (m.op ? "@" : "") + m.nick));
            li.title = isMe(m.nick) ? "you" : "click for a private conversation";
            li.onclick = () => { if (!isMe(m.nick)) { tab(m.nick, true); show(fold(m.nick)); } };
            ul.appendChild(li);
          }
        }
        function show(key) {
          S.active = key;
          const t = S.tabs.get(key);
          $("log").replaceChildren();
          if (t) { t.unread = 0; t.lines.forEach(appendLine); }
          $("tabname").textContent = t ? t.id : "";
          $("topic").textContent = t && t.room ? (t.topic || "") + (t.modes ? "  [" + t.modes + (t.key ? " key " + t.key : "") + "]" : "") : t ? "private conversation" : "";
          $("roomtools").hidden = !(t && t.room && t.joined);
          renderTabs(); renderMembers();
          $("log").scrollTop = $("log").scrollHeight;
          $("text").focus();
        }
        function refreshTitle() { show(S.active); }

        function send(o) { if (S.ws && S.ws.readyState === 1) S.ws.send(JSON.stringify(o)); }

        function connect() {
          const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + location.pathname);
          S.ws = ws;
          // The server numbers its messages after "registered"; the page counts them, to say how many it had when it comes back.
          S.counting = false;
          ws.onopen = () => {
            setStatus("connected");
            if (S.wanted) send({ type: "hello", nick: S.wanted, resume: S.token || undefined, received: S.token ? S.count : undefined });
          };
          ws.onmessage = e => {
            let m; try { m = JSON.parse(e.data); } catch { return; }
            if (m.type === "registered") { S.count = m.next; S.counting = true; } else if (S.counting) S.count++;
            handle(m);
          };
          ws.onclose = () => {
            if (S.ws !== ws) return;
            S.ws = null;
            if (S.quitting) { setStatus("left", true); return; }
            const delay = Math.min(10000, 500 * 2 ** S.retry++);
            setStatus("connection lost; reconnecting in " + Math.round(delay / 1000) + " s", true);
            setTimeout(connect, delay);
          };
        }
        function setStatus(text, down) { $("status").textContent = text; $("status").className = down ? "down" : ""; }

        function handle(m) {
          switch (m.type) {
            case "welcome": $("nick").maxLength = m.maxNick; break;
            case "registered": {
              S.retry = 0; S.me = m.nick; S.token = m.resume;
              sessionStorage.setItem("sockcat-chat-resume", m.resume); sessionStorage.setItem("sockcat-chat-nick", m.nick);
              S.wanted = m.nick;
              $("login").style.display = "none"; $("main").classList.add("on");
              $("me").textContent = m.nick;
              setStatus(m.resumed ? "back as " + m.nick : "connected as " + m.nick);
              if (m.resumed && m.gap) for (const t of S.tabs.values()) note(t, "(back; some messages may have been missed)");
              const still = new Set(m.rooms.map(fold));
              for (const [key, t] of S.tabs) if (t.room && t.joined && !still.has(key)) {
                // The server let us go (the resume window passed): join again.
                t.joined = false; send({ type: "join", room: t.id, key: t.key || undefined });
              }
              refreshTitle();
              break;
            }
            case "rooms": S.rooms = m.rooms; renderRooms(); break;
            case "names": {
              const t = tab(m.room, true);
              t.id = m.room; t.joined = true; t.topic = m.topic; t.modes = m.modes; t.key = m.key || "";
              t.members = new Map(m.members.map(x => [memberKey(x.nick), x]));
              if (S.active !== fold(m.room) && t.lines.length === 0) S.active = fold(m.room);
              refreshTitle();
              break;
            }
            case "message": say(tab(m.room, true), m.from, m.text, m.kind, m.time); break;
            case "pm": say(tab(isMe(m.from) ? m.to : m.from, true), m.from, m.text, m.kind, m.time); break;
            case "join": {
              const t = tab(m.room, true);
              t.members.set(memberKey(m.nick), { nick: m.nick, op: m.op });
              if (!isMe(m.nick)) note(t, m.nick + " joined");
              if (S.active === fold(m.room)) renderMembers();
              send({ type: "rooms" });
              break;
            }
            case "part": case "kick": {
              const t = tab(m.room);
              const who = m.type === "kick" ? m.target : m.nick;
              if (!t) break;
              t.members.delete(memberKey(who));
              note(t, m.type === "kick" ? who + " was kicked by " + m.nick + (m.reason ? " (" + m.reason + ")" : "") : who + " left" + (m.reason ? " (" + m.reason + ")" : ""));
              if (isMe(who)) { t.joined = false; t.members.clear(); }
              if (S.active === fold(m.room)) refreshTitle();
              send({ type: "rooms" });
              break;
            }
            case "quit":
              for (const t of S.tabs.values()) if (t.members.delete(memberKey(m.nick)) || (!t.room && fold(t.id) === fold(m.nick))) note(t, m.nick + " quit" + (m.reason ? " (" + m.reason + ")" : ""));
              renderMembers();
              break;
            case "nick":
              if (isMe(m.nick)) { S.me = m.newNick; S.wanted = m.newNick; sessionStorage.setItem("sockcat-chat-nick", m.newNick); $("me").textContent = m.newNick; }
              for (const t of S.tabs.values()) {
                const old = t.members.get(memberKey(m.nick));
                if (old) { t.members.delete(memberKey(m.nick)); t.members.set(memberKey(m.newNick), { nick: m.newNick, op: old.op }); note(t, m.nick + " is now " + m.newNick); }
              }
              renderMembers();
              break;
            case "topic": { const t = tab(m.room); if (t) { t.topic = m.topic; note(t, m.nick + " set the topic: " + m.topic); if (S.active === fold(m.room)) refreshTitle(); } break; }
            case "mode": {
              const t = tab(m.room);
              if (!t) break;
              if (m.mode[1] === "o") { const x = t.members.get(memberKey(m.arg)); if (x) x.op = m.mode[0] === "+"; }
              if (m.mode === "+k") t.key = m.arg; if (m.mode === "-k") t.key = "";
              let modes = new Set(t.modes.replace("+", "").split("").filter(Boolean));
              if (m.mode[1] !== "o") { if (m.mode[0] === "+") modes.add(m.mode[1]); else modes.delete(m.mode[1]); }
              t.modes = "+" + [...modes].join("");
              note(t, m.nick + " set " + m.mode + (m.arg ? " " + m.arg : ""));
              if (S.active === fold(m.room)) refreshTitle();
              send({ type: "rooms" });
              break;
            }
            case "invite": {
              const n = el("div", "notice");
              n.appendChild(el("span", "", m.nick + " invites you to " + m.room + " "));
              const b = el("button", "accept", "Join " + m.room);
              b.onclick = () => { send({ type: "join", room: m.room }); n.remove(); };
              n.appendChild(b);
              $("notices").appendChild(n);
              break;
            }
            case "invited": { const t = S.tabs.get(S.active); if (t) note(t, "invited " + m.nick + " to " + m.room); break; }
            case "error":
              if (m.request === "hello") { $("login-error").textContent = m.error; S.token = null; sessionStorage.removeItem("sockcat-chat-resume"); if (!S.me) { S.wanted = null; $("login").style.display = ""; } }
              else $("error").textContent = m.error;
              break;
          }
        }

        $("login").onsubmit = e => {
          e.preventDefault();
          S.wanted = $("nick").value.trim();
          $("login-error").textContent = "";
          if (S.ws && S.ws.readyState === 1) send({ type: "hello", nick: S.wanted }); else if (!S.ws) connect();
        };
        $("joinform").onsubmit = e => {
          e.preventDefault();
          const room = $("room-name").value.trim();
          if (room) send({ type: "join", room, key: $("room-key").value.trim() || undefined });
          $("room-name").value = ""; $("room-key").value = "";
        };
        $("sayform").onsubmit = e => {
          e.preventDefault();
          const text = $("text").value;
          const t = S.tabs.get(S.active);
          if (!text || !t) return;
          $("error").textContent = "";
          const action = text.startsWith("/me ");
          const body = action ? text.slice(4) : text;
          if (t.room) send({ type: "say", room: t.id, text: body, kind: action ? "action" : undefined });
          else send({ type: "pm", to: t.id, text: body, kind: action ? "action" : undefined });
          $("text").value = "";
        };
        const current = () => S.tabs.get(S.active);
        $("leave").onclick = () => { const t = current(); if (t && t.room) send({ type: "part", room: t.id }); };
        $("invite").onclick = () => { const t = current(); const n = $("invite-nick").value.trim(); if (t && n) send({ type: "invite", room: t.id, nick: n }); $("invite-nick").value = ""; };
        $("set-key").onclick = () => { const t = current(); const k = $("key").value.trim(); if (t && k) send({ type: "mode", room: t.id, mode: "+k", arg: k }); $("key").value = ""; };
        $("clear-key").onclick = () => { const t = current(); if (t) send({ type: "mode", room: t.id, mode: "-k" }); };
        $("invite-only").onclick = () => { const t = current(); if (t) send({ type: "mode", room: t.id, mode: t.modes.includes("i") ? "-i" : "+i" }); };
        setInterval(() => send({ type: "rooms" }), 10000);
        if (S.wanted) $("nick").value = S.wanted;
        connect();
        </script>
        </body>
        </html>
        """;
}
