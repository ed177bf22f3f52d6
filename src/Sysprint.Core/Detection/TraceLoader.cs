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

        public void OnSyscall(long thread, int number, long line)
        {
            if (!_open.TryGetValue(thread, out List<int>? calls))
            {
                calls = [];
                _open[thread] = calls;
            }

            calls.Add(number);
        }

        public void OnThreadEnd(long thread)
        {
            if (_open.Remove(thread, out List<int>? calls))
            {
                _done.Add([.. calls]);
            }
        }

        public void OnThreadRenamed(long oldThread, long newThread)
        {
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
