using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Sysprint.App.Fleet;
using Sysprint.Diagnostics;
using Sysprint.Fleet;
using Sysprint.Mapping;
using Sysprint.Parsing;
using Sysprint.Storage;

namespace Sysprint.Agent.Fleet;

/// <summary>
/// The agent's side of learning across the fleet: while the server's profile feed names a learning
/// window open for this host's group (<see cref="SetWindows"/>), each log the watcher finishes
/// (read to its end, first seen after the window opened) that it checked against the window's
/// profile is read again for what it teaches (<see cref="LogLesson"/>: grams and window counts,
/// never the log) and uploaded (<c>POST /api/agent/learn</c>). Uploads wait in the store (setting
/// <see cref="PendingSetting"/>) until the server took or refused them, so a restart or an
/// unreachable server loses none; the server counts each log once, however often it comes.
/// </summary>
internal sealed class FleetLearner : FleetLoop
{
    /// <summary>The store setting that keeps the learning windows the feed last named (its JSON array).</summary>
    public const string WindowsSetting = "fleet.learning";

    /// <summary>The store setting that keeps the uploads not done yet.</summary>
    public const string PendingSetting = "fleet.learning.pending";

    /// <summary>Uploads waiting at most; a log finished beyond that is not uploaded (logged).</summary>
    public const int MaxPending = 1000;

    private readonly FleetConnection _connection;
    private readonly IFingerprintStore _store;
    private readonly LogReadOptions _options;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly List<Pending> _pending = [];
    private readonly SemaphoreSlim _work = new(0);
    private IReadOnlyList<Window> _windows = [];

    /// <param name="store">Its own connection to the agent's store (owned, disposed with it).</param>
    public FleetLearner(FleetConnection connection, IFingerprintStore store, LogReadOptions options, ILogger logger)
    {
        _connection = connection;
        _store = store;
        _options = options;
        _logger = logger;
        _windows = ParseWindows(_store.GetSetting(WindowsSetting));
        _pending.AddRange(ParsePending(_store.GetSetting(PendingSetting)));
    }

    /// <summary>The learning windows the profile feed names now (its <c>learning</c> array); kept in the store for the next start.</summary>
    public void SetWindows(JsonElement learning)
    {
        string text = learning.ValueKind == JsonValueKind.Array ? learning.GetRawText() : "[]";
        IReadOnlyList<Window> windows = ParseWindows(text);
        IReadOnlyList<Window> before;
        lock (_lock)
        {
            before = _windows;
            _windows = windows;
            _store.SetSetting(WindowsSetting, text);
        }

        if (!_logger.IsEnabled(LogLevel.Information))
        {
            return;
        }

        foreach (Window window in windows.Where(w => !before.Any(b => b.Id == w.Id)))
        {
            _logger.LogInformation("learning window #{Id} open for profile '{Profile}' until {Closes}: each log finished until then is uploaded to be learnt",
                window.Id, window.Profile, FleetJson.TimeText(window.Closes));
        }

        foreach (Window window in before.Where(b => !windows.Any(w => w.Id == b.Id)))
        {
            _logger.LogInformation("learning window #{Id} (profile '{Profile}') closed", window.Id, window.Profile);
        }
    }

    /// <summary>
    /// The watcher finished <paramref name="row"/>, checked against <paramref name="profile"/>:
    /// queued for upload when a window for that profile is open and the log was first seen after it
    /// opened. Cheap: called on the watcher's thread.
    /// </summary>
    public void Offer(WatchedFile row, string? profile)
    {
        ArgumentNullException.ThrowIfNull(row);
        DateTimeOffset now = DateTimeOffset.UtcNow;
        lock (_lock)
        {
            Window? window = _windows.FirstOrDefault(w => w.Profile == profile && now < w.Closes && row.FirstSeen >= w.Opened);
            if (window is null)
            {
                return;
            }

            if (_pending.Count >= MaxPending)
            {
                _logger.LogWarning("{Path}: not uploaded to learning window #{Id}: {Max} uploads wait already", Printable.Escape(row.Path), window.Id, MaxPending);
                return;
            }

            _pending.Add(new Pending(window.Id, window.Profile, row.Vm, row.Path));
            SavePending();
        }

        _work.Release();
    }

    protected override void Release()
    {
        _store.Dispose();
        _work.Dispose();
    }

    protected override async Task RunAsync(CancellationToken stop)
    {
        string? lastProblem = null;
        while (!stop.IsCancellationRequested)
        {
            Pending? next;
            lock (_lock)
            {
                next = _pending.Count > 0 ? _pending[0] : null;
            }

            if (next is null)
            {
                await _work.WaitAsync(stop).ConfigureAwait(false);
                continue;
            }

            try
            {
                await UploadAsync(next, stop).ConfigureAwait(false);
                Done(next);
                lastProblem = null;
            }
            catch (FleetRefusedException e)
            {
                // The server's final word (the window closed, another group's, too many): this log is not learnt.
                _logger.LogWarning("{Path}: not learnt from the fleet: {Error}", Printable.Escape(next.Path), e.Message);
                Done(next);
            }
            catch (SysprintException e)
            {
                // The log is gone (rotated away, removed) or no longer reads: nothing to upload.
                _logger.LogWarning("{Path}: not uploaded to learning window #{Id}: {Error}", Printable.Escape(next.Path), next.Window, e.Message);
                Done(next);
            }
            catch (Exception e) when (!stop.IsCancellationRequested && e is HttpRequestException or TaskCanceledException)
            {
                // The server away or throttling: the upload waits in the store and is tried again.
                if (e.Message != lastProblem)
                {
                    _logger.LogWarning("learning uploads wait: {Error}", e.Message);
                    lastProblem = e.Message;
                }

                await Task.Delay(TimeSpan.FromSeconds(2), stop).ConfigureAwait(false);
            }
        }
    }

    private async Task UploadAsync(Pending pending, CancellationToken stop)
    {
        ProfileInfo? profile;
        SyscallTable? table;
        lock (_lock)
        {
            // One connection, also used by the other threads' calls (under the same lock).
            profile = _store.FindProfile(pending.Profile);
            table = _store.LoadMapping();
        }

        if (profile is null || table is null)
        {
            throw new SysprintException(ErrorKind.InputMissing, $"no profile '{pending.Profile}' in the agent's store");
        }

        LogLesson lesson = LogLesson.FromLog(pending.Path, pending.Vm, table, _options, profile.Window);
        string body = FleetJson.ToText(json => lesson.Write(json, pending.Window, pending.Profile));
        FleetCredential credential = await _connection.EnsureEnrolledAsync(stop).ConfigureAwait(false);
        bool stored = await _connection.Client.LearnAsync(credential.Credential, body, stop).ConfigureAwait(false);
        if (_logger.IsEnabled(LogLevel.Information))
        {
            _logger.LogInformation("{Path} uploaded to learning window #{Id} ({Grams} grams, sha256 {Sha}){Again}", Printable.Escape(pending.Path), pending.Window,
                lesson.Upload.Grams.Count, lesson.Upload.Sha256[..12], stored ? "" : ": the window held it already");
        }
    }

    private void Done(Pending pending)
    {
        lock (_lock)
        {
            _pending.Remove(pending);
            SavePending();
        }
    }

    private void SavePending() =>
        _store.SetSetting(PendingSetting, FleetJson.ToText(json =>
        {
            json.WriteStartArray();
            foreach (Pending p in _pending)
            {
                json.WriteStartObject();
                json.WriteNumber("window", p.Window);
                json.WriteString("profile", p.Profile);
                json.WriteString("vm", p.Vm);
                json.WriteString("path", p.Path);
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }));

    private static List<Pending> ParsePending(string? text)
    {
        var pending = new List<Pending>();
        if (string.IsNullOrEmpty(text))
        {
            return pending;
        }

        using JsonDocument document = JsonDocument.Parse(text);
        foreach (JsonElement p in document.RootElement.EnumerateArray())
        {
            pending.Add(new Pending(p.GetProperty("window").GetInt64(), p.GetProperty("profile").GetString()!, p.GetProperty("vm").GetString()!,
                p.GetProperty("path").GetString()!));
        }

        return pending;
    }

    private static List<Window> ParseWindows(string? text)
    {
        var windows = new List<Window>();
        if (string.IsNullOrEmpty(text))
        {
            return windows;
        }

        using JsonDocument document = JsonDocument.Parse(text);
        foreach (JsonElement w in document.RootElement.EnumerateArray())
        {
            windows.Add(new Window(w.GetProperty("id").GetInt64(), w.GetProperty("profile").GetString()!,
                DateTimeOffset.Parse(w.GetProperty("opened").GetString()!, CultureInfo.InvariantCulture),
                DateTimeOffset.Parse(w.GetProperty("closes").GetString()!, CultureInfo.InvariantCulture)));
        }

        return windows;
    }

    private sealed record Window(long Id, string Profile, DateTimeOffset Opened, DateTimeOffset Closes);

    private sealed record Pending(long Window, string Profile, string Vm, string Path);
}
