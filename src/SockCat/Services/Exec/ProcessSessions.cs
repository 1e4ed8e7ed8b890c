using System.Globalization;
using SockCat.Internal.Interop;

namespace SockCat.Services.Exec;

/// <summary>
/// Finds, signals and reaps every process of one session: a program started through <c>setsid</c> leads a session
/// and a process group both numbered by its PID, and its children stay in that session even when a shell puts them
/// in groups of their own (job control), so signalling the group and then each session member reaches grandchildren
/// that <c>kill(-pgid)</c> alone would miss. Read from <c>/proc</c>, the only place Linux lists a session's members.
/// </summary>
internal static class ProcessSessions
{
    private static readonly int Self = Environment.ProcessId;

    /// <summary>One process as /proc/PID/stat gives it.</summary>
    internal readonly record struct Member(int Pid, char State, int ParentPid, int Group, int Session)
    {
        public bool IsZombie => State is 'Z' or 'X';
    }

    /// <summary>The processes, live or zombie, whose group or session is <paramref name="session"/>.</summary>
    public static List<Member> Members(int session)
    {
        var members = new List<Member>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            var name = Path.GetFileName(directory.AsSpan());
            if (name.Length == 0 || !char.IsAsciiDigit(name[0]) || !int.TryParse(name, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            if (Read(pid) is { } member && (member.Group == session || member.Session == session))
            {
                members.Add(member);
            }
        }

        return members;
    }

    /// <summary>Whether any process of the session is still running (not a zombie).</summary>
    public static bool AnyAlive(int session) => Members(session).Exists(m => !m.IsZombie);

    /// <summary>Sends <paramref name="signal"/> to the group and to every session member outside it.</summary>
    public static void Signal(int session, int signal)
    {
        LinuxProcesses.kill(-session, signal);
        foreach (var member in Members(session))
        {
            if (member.Group != session && !member.IsZombie)
            {
                LinuxProcesses.kill(member.Pid, signal);
            }
        }
    }

    /// <summary>
    /// Reaps the session's zombies that are this process's children, except <paramref name="exceptPid"/> (the program
    /// itself, which <see cref="System.Diagnostics.Process"/> reaps for its exit code): orphans re-parented here.
    /// </summary>
    public static void ReapOrphans(int session, int exceptPid)
    {
        foreach (var member in Members(session))
        {
            if (member.IsZombie && member.ParentPid == Self && member.Pid != exceptPid)
            {
                LinuxProcesses.waitpid(member.Pid, out _, LinuxProcesses.WNOHANG);
            }
        }
    }

    private static Member? Read(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;   // gone since the directory was listed
        }

        // "pid (comm) state ppid pgrp session ...": comm may hold spaces and parentheses, so parse after the last ')'.
        var close = stat.LastIndexOf(')');
        if (close < 0)
        {
            return null;
        }

        var fields = stat[(close + 2)..].Split(' ', 5);
        return fields.Length < 4
            ? null
            : new Member(pid, fields[0][0], int.Parse(fields[1], CultureInfo.InvariantCulture), int.Parse(fields[2], CultureInfo.InvariantCulture), int.Parse(fields[3], CultureInfo.InvariantCulture));
    }
}
