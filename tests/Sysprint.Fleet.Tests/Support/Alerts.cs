using System.Globalization;

namespace Sysprint.Fleet.Tests.Support;

/// <summary>Alerts as agents send them, for store and server tests.</summary>
internal static class Alerts
{
    /// <summary>An upload whose uuid is derived from <paramref name="n"/>: the same n, the same alert.</summary>
    public static AlertUpload Upload(int n, string host = "host-a", string vm = "web-01")
    {
        var uuid = new Guid(string.Create(CultureInfo.InvariantCulture, $"00000000-0000-8000-8000-{n:x12}"));
        DateTimeOffset time = new DateTimeOffset(2026, 12, 2, 10, 0, 0, TimeSpan.Zero).AddSeconds(n);
        string json = Json(uuid, time, host, vm, n);
        return new AlertUpload(uuid, time, "Unknown system-call transition", "Critical", "syscall", vm, $"/spool/{vm}/{n}.strace", "default",
            $"transition mmap -> socket in log {n}", json);
    }

    /// <summary>Falco's shape, as <c>Sysprint.Agent.Alerts.Alert.ToJson</c> writes it.</summary>
    public static string Json(Guid uuid, DateTimeOffset time, string host, string vm, int n) => string.Create(CultureInfo.InvariantCulture,
        $$$"""{"uuid":"{{{uuid}}}","time":"{{{time.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'}}}","rule":"Unknown system-call transition","priority":"Critical","source":"syscall","hostname":"{{{host}}}","output":"transition mmap -> socket in log {{{n}}}","tags":["sysprint"],"output_fields":{"sysprint.log":"/spool/{{{vm}}}/{{{n}}}.strace","vm.name":"{{{vm}}}","sysprint.profile":"default","sysprint.prev":"mmap","sysprint.next":"socket"}}""");
}
