using System.Diagnostics;
using System.Text;

namespace SockCat.IntegrationTests.Services.Chat;

/// <summary>
/// Real IRC clients from Debian, driven without a terminal: <c>ii</c> (files and FIFOs by design) and irssi (under
/// <c>script</c> for a pty, steered by a Perl script that runs each line written to a FIFO as a command and logs every
/// line the server sends). Each lives in a temporary directory; Dispose ends it by its PID and removes the directory.
/// </summary>
internal abstract class IrcPeer : IAsyncDisposable
{
    protected IrcPeer(string name)
    {
        Directory = Path.Combine(Path.GetTempPath(), $"sockcat-{name}-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(Directory);
    }

    public string Directory { get; }

    protected Process? Process { get; set; }

    /// <summary>Waits until the file at <paramref name="path"/> has a line containing <paramref name="text"/>; returns it.</summary>
    public static async Task<string> WaitForLineAsync(string path, string text, Func<string>? context = null)
    {
        using var deadline = new CancellationTokenSource(ChatLineClient.Deadline);
        while (true)
        {
            if (File.Exists(path))
            {
                var found = File.ReadAllLines(path).FirstOrDefault(l => l.Contains(text, StringComparison.Ordinal));
                if (found is not null)
                {
                    return found;
                }
            }

            if (deadline.IsCancellationRequested)
            {
                var seen = File.Exists(path) ? File.ReadAllText(path) : "(no file)";
                throw new Xunit.Sdk.XunitException($"'{text}' never appeared in {path}:\n{seen}\n{context?.Invoke()}");
            }

            // A file another process writes: looked at again shortly (there is no event to await).
            await Task.Delay(50);
        }
    }

    /// <summary>Writes one line to a FIFO the client reads, once it exists.</summary>
    protected static async Task WriteFifoAsync(string path, string line)
    {
        await WaitForFileAsync(path);

        // Read-write: opening a FIFO so never blocks (write-only waits for a reader, forever if the client is gone).
        using var fifo = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        fifo.Write(Encoding.UTF8.GetBytes(line + "\n"));
    }

    protected static async Task WaitForFileAsync(string path)
    {
        using var deadline = new CancellationTokenSource(ChatLineClient.Deadline);
        while (!File.Exists(path))
        {
            deadline.Token.ThrowIfCancellationRequested();
            await Task.Delay(50);
        }
    }

    protected static void MakeFifo(string path)
    {
        using var mkfifo = System.Diagnostics.Process.Start("mkfifo", [path]);
        mkfifo.WaitForExit();
        Assert.Equal(0, mkfifo.ExitCode);
    }

    private static async Task<bool> ExitsWithinAsync(Process process, TimeSpan timeout)
    {
        using var grace = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(grace.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Asks the client to quit (it closes itself), then ends what is left by PID.</summary>
    protected abstract Task QuitAsync();

    public async ValueTask DisposeAsync()
    {
        if (Process is { } process)
        {
            try
            {
                if (!await ExitsWithinAsync(process, TimeSpan.FromSeconds(2)))
                {
                    await QuitAsync();
                    await ExitsWithinAsync(process, TimeSpan.FromSeconds(5));
                }
            }
            catch (Exception e) when (e is OperationCanceledException or TimeoutException or IOException)
            {
            }
            finally
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                }

                process.Dispose();
            }
        }

        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>suckless <c>ii</c>: writes "/j #room" and messages into FIFOs, reads each channel's <c>out</c> file.</summary>
internal sealed class IiPeer : IrcPeer
{
    private readonly StringBuilder _stdout = new();

    private IiPeer(string nick)
        : base("ii")
    {
        Nick = nick;
    }

    public string Nick { get; }

    /// <summary>The server's folder: <c>in</c>, <c>out</c>, and one folder per channel or private chat.</summary>
    public string ServerDirectory => Path.Combine(Directory, "127.0.0.1");

    public static IiPeer Start(int port, string nick)
    {
        var peer = new IiPeer(nick);
        var info = new ProcessStartInfo("ii")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "-s", "127.0.0.1", "-p", port.ToString(), "-n", nick, "-i", peer.Directory })
        {
            info.ArgumentList.Add(argument);
        }

        peer.Process = Process.Start(info)!;
        peer.Process.OutputDataReceived += (_, e) => { lock (peer._stdout) { peer._stdout.AppendLine(e.Data); } };
        peer.Process.ErrorDataReceived += (_, e) => { lock (peer._stdout) { peer._stdout.AppendLine(e.Data); } };
        peer.Process.BeginOutputReadLine();
        peer.Process.BeginErrorReadLine();
        return peer;
    }

    /// <summary>Everything ii printed: the raw lines the server sent, with ii's timestamps.</summary>
    public string Stdout
    {
        get
        {
            lock (_stdout)
            {
                return _stdout.ToString();
            }
        }
    }

    /// <summary>Writes a line to the FIFO of the server (null) or of a channel or private chat.</summary>
    public Task SayAsync(string? target, string line) =>
        WriteFifoAsync(Path.Combine(target is null ? ServerDirectory : Path.Combine(ServerDirectory, target), "in"), line);

    /// <summary>Waits for a line in the <c>out</c> file of the server (null) or of a channel or private chat.</summary>
    public Task<string> WaitForAsync(string? target, string text) =>
        WaitForLineAsync(Path.Combine(target is null ? ServerDirectory : Path.Combine(ServerDirectory, target), "out"), text, () => Stdout);

    protected override Task QuitAsync() => SayAsync(null, "/QUIT :test over");
}

/// <summary>irssi, autojoining one channel, steered through a FIFO, with the server's lines logged to <c>raw.log</c>.</summary>
internal sealed class IrssiPeer : IrcPeer
{
    // Runs each line of the FIFO "in" as an irssi command on the server, and logs every line the server sends.
    private const string DriveScript = """
        use strict;
        use Irssi;
        my $home = Irssi::get_irssi_dir();
        open(my $raw, '>>', "$home/raw.log") or die "raw.log: $!";
        $raw->autoflush(1);
        Irssi::signal_add('server incoming', sub { my ($server, $line) = @_; print $raw "$line\n"; });
        open(my $in, '+<', "$home/in") or die "in: $!";
        Irssi::input_add(fileno($in), Irssi::INPUT_READ, sub {
          my $line = <$in>;
          return unless defined $line;
          chomp $line;
          my $server = Irssi::server_find_tag('sockcat');
          if ($server) { $server->command($line); } else { Irssi::command($line); }
        }, undef);
        """;

    private IrssiPeer()
        : base("irssi")
    {
    }

    public string RawLog => Path.Combine(Directory, "raw.log");

    public static IrssiPeer Start(int port, string nick, string channel)
    {
        var peer = new IrssiPeer();
        var home = peer.Directory;
        File.WriteAllText(Path.Combine(home, "config"), $$"""
            servers = ( { address = "127.0.0.1"; chatnet = "sockcat"; port = "{{port}}"; autoconnect = "yes"; } );
            chatnets = { sockcat = { type = "IRC"; }; };
            channels = ( { name = "{{channel}}"; chatnet = "sockcat"; autojoin = "yes"; } );
            settings = {
              core = { real_name = "Irssi Tester"; user_name = "irssi"; nick = "{{nick}}"; settings_autosave = "no"; };
            };
            """);
        System.IO.Directory.CreateDirectory(Path.Combine(home, "scripts", "autorun"));
        File.WriteAllText(Path.Combine(home, "scripts", "autorun", "drive.pl"), DriveScript);
        MakeFifo(Path.Combine(home, "in"));

        // irssi needs a terminal: script(1) gives it a pty whose screen output goes nowhere.
        var info = new ProcessStartInfo("script")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "-qfc", $"irssi --home={home}", "/dev/null" })
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["TERM"] = "xterm";
        peer.Process = Process.Start(info)!;
        peer.Process.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
        peer.Process.StandardError.BaseStream.CopyToAsync(Stream.Null);
        return peer;
    }

    /// <summary>Runs an irssi command (<c>/msg #lobby hi</c>) on the server connection.</summary>
    public Task CommandAsync(string command) => WriteFifoAsync(Path.Combine(Directory, "in"), command);

    /// <summary>Waits for a line from the server containing <paramref name="text"/>.</summary>
    public Task<string> WaitForAsync(string text) => WaitForLineAsync(RawLog, text);

    protected override Task QuitAsync() => CommandAsync("/quit test over");
}

/// <summary>
/// WeeChat without a terminal (Debian's weechat-headless): steered through its fifo plugin, which runs each line written to
/// the pipe (<c>irc.server.sockcat */command</c>) as a command on the server's buffer; what it shows is read from its logger's
/// files, flushed at once, one per buffer (<c>irc.server.sockcat</c>, <c>irc.sockcat.#lobby</c>, <c>irc.sockcat.NICK</c>).
/// </summary>
internal sealed class WeechatPeer : IrcPeer
{
    private WeechatPeer()
        : base("weechat")
    {
    }

    private string Fifo => Path.Combine(Directory, "in");

    public static WeechatPeer Start(int port, string nick, string channel)
    {
        var peer = new WeechatPeer();
        var commands = string.Join("; ",
            $"/set fifo.file.path {peer.Fifo}",
            "/set logger.file.flush_delay 0",
            $"/set logger.file.path {Path.Combine(peer.Directory, "logs")}",
            $"/set irc.server_default.nicks {nick}",
            "/set irc.server_default.username wee",
            $"/server add sockcat 127.0.0.1/{port} -autojoin={channel}",
            "/connect sockcat");
        var info = new ProcessStartInfo("weechat-headless")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "--dir", peer.Directory, "--run-command", commands })
        {
            info.ArgumentList.Add(argument);
        }

        peer.Process = Process.Start(info)!;
        peer.Process.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
        peer.Process.StandardError.BaseStream.CopyToAsync(Stream.Null);
        return peer;
    }

    /// <summary>Runs a WeeChat command (<c>/msg #lobby hi</c>) on the server's buffer.</summary>
    public Task CommandAsync(string command) => WriteFifoAsync(Fifo, $"irc.server.sockcat *{command}");

    /// <summary>Waits for a line containing <paramref name="text"/> in the log of a buffer: null for the server's, a channel, or a nick.</summary>
    public Task<string> WaitForAsync(string? buffer, string text) =>
        WaitForLineAsync(Path.Combine(Directory, "logs", buffer is null ? "irc.server.sockcat.weechatlog" : $"irc.sockcat.{buffer}.weechatlog"), text);

    protected override Task QuitAsync() => CommandAsync("/quit test over");
}
