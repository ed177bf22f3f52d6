using Sysprint.Mapping;
using Sysprint.Parsing;

namespace Sysprint.Detection;

/// <summary>Reads a log into a <see cref="LoadedTrace"/>: one call sequence per thread, in order.</summary>
public static class TraceLoader
{
    public static LoadedTrace Load(string path, string? kind, SyscallTable table, LogReadOptions options)
    {
        var sink = new Collector();
        LogReader.Read(path, table, options, sink);
        return new LoadedTrace(path, kind, sink.Finish());
    }

    private sealed class Collector : ISyscallSink
    {
        private readonly Dictionary<long, List<int>> _open = [];
        private readonly List<int[]> _done = [];

        // Number logs name one thread (ADFA-LD) or a few that take turns: spare the lookup per call.
        private long _lastThread = long.MinValue;
        private List<int>? _last;

        public void OnSyscall(long thread, int number, long line)
        {
            if (thread != _lastThread || _last is null)
            {
                if (!_open.TryGetValue(thread, out _last))
                {
                    _last = [];
                    _open[thread] = _last;
                }

                _lastThread = thread;
            }

            _last.Add(number);
        }

        public void OnThreadEnd(long thread)
        {
            _last = null;
            if (_open.Remove(thread, out List<int>? calls))
            {
                _done.Add([.. calls]);
            }
        }

        public void OnThreadRenamed(long oldThread, long newThread)
        {
            _last = null;
            if (_open.Remove(oldThread, out List<int>? calls) && !_open.ContainsKey(newThread))
            {
                _open[newThread] = calls;
            }
        }

        public int[][] Finish()
        {
            foreach (List<int> calls in _open.Values)
            {
                _done.Add([.. calls]);
            }

            _open.Clear();
            return [.. _done];
        }
    }
}
