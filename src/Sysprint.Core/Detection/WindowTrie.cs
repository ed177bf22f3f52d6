namespace Sysprint.Detection;

/// <summary>
/// Windows of calls as a trie grown backwards in time: the node of the window ending at call i
/// with k calls has, as children, the windows with one older call prepended, so a node's parent is
/// its window without the oldest call. Learning walks back from each call, one child per step.
/// Once learning ends, <see cref="Next"/> adds the forward edges (a window followed by one newer
/// call), so a trace is read forwards in about two probes per call: extend the longest seen window
/// by the next call, dropping its oldest calls (parents) until the extension was seen.
/// </summary>
internal sealed class WindowTrie
{
    public const int IdBits = NodeTable.IdBits;

    private readonly NodeTable _children;
    private NodeTable? _forward;
    private int[] _counts;
    private byte[] _depths;
    private int[] _parents;
    private int[] _ids;
    private int[] _starts;
    private byte[] _traces;
    private int[] _owners;

    public WindowTrie(int capacity = 1 << 16)
    {
        _children = new NodeTable(capacity);
        _counts = new int[Math.Max(capacity, 16)];
        _depths = new byte[_counts.Length];
        _parents = new int[_counts.Length];
        _ids = new int[_counts.Length];
        _starts = new int[_counts.Length];
        _traces = new byte[_counts.Length];
        _owners = new int[_counts.Length];
        NodeCount = 1;
    }

    /// <summary>Nodes including the root (id 0, the empty window).</summary>
    public int NodeCount { get; private set; }

    /// <summary>How often the node's window was learnt.</summary>
    public int Count(int node) => _counts[node];

    /// <summary>The number of calls in the node's window.</summary>
    public int Depth(int node) => _depths[node];

    /// <summary>The node's window without its oldest call (the root for a single call).</summary>
    public int Parent(int node) => _parents[node];

    /// <summary>The id of the node's oldest call.</summary>
    public int Id(int node) => _ids[node];

    /// <summary>How often the node's window was learnt starting at a thread's first call.</summary>
    public int Starts(int node) => _starts[node];

    /// <summary>How many learnt traces hold the node's window: 0, 1, or 2 for two or more.</summary>
    public int Traces(int node) => _traces[node];

    /// <summary>The trace that holds the window when <see cref="Traces"/> is 1 (else the last one that did).</summary>
    public int Owner(int node) => _owners[node];

    /// <summary>The child of <paramref name="parent"/> for one more (older) call, or -1.</summary>
    public int Child(int parent, int id) => _children.Get(parent, id);

    /// <summary>The child, created (count 0) when missing; <paramref name="created"/> tells which.</summary>
    public int GetOrAddChild(int parent, int id, out bool created)
    {
        if (_forward is not null)
        {
            throw new InvalidOperationException("the trie is read forwards: no window can be added");
        }

        int node = _children.GetOrAdd(parent, id, NodeCount, out created);
        if (!created)
        {
            return node;
        }

        NodeCount++;
        if (node == _counts.Length)
        {
            int size = _counts.Length * 2;
            Array.Resize(ref _counts, size);
            Array.Resize(ref _depths, size);
            Array.Resize(ref _parents, size);
            Array.Resize(ref _ids, size);
            Array.Resize(ref _starts, size);
            Array.Resize(ref _traces, size);
            Array.Resize(ref _owners, size);
        }

        _depths[node] = (byte)(_depths[parent] + 1);
        _parents[node] = parent;
        _ids[node] = id;
        return node;
    }

    /// <summary>
    /// The node of <paramref name="node"/>'s window followed by call <paramref name="id"/>, or -1 when
    /// that window was never seen. Builds the forward edges on first use; no window can be added after.
    /// </summary>
    public int Next(int node, int id)
    {
        if (_forward is null)
        {
            lock (_children)
            {
                _forward ??= Forward();
            }
        }

        return _forward.Get(node, id);
    }

    // A window X of k calls is (X without its newest call) followed by its newest call. Nodes are
    // numbered parents first, so both are known for a node's parent when the node is reached:
    // the window without the newest call is that of the parent's, with X's oldest call prepended.
    private NodeTable Forward()
    {
        var forward = new NodeTable(NodeCount);
        var withoutNewest = new int[NodeCount];
        var newest = new int[NodeCount];
        for (int node = 1; node < NodeCount; node++)
        {
            int parent = _parents[node];
            if (parent == 0)
            {
                newest[node] = _ids[node];
                withoutNewest[node] = 0;
            }
            else
            {
                newest[node] = newest[parent];
                withoutNewest[node] = _children.Get(withoutNewest[parent], _ids[node]);
            }

            forward.GetOrAdd(withoutNewest[node], newest[node], node, out _);
        }

        return forward;
    }

    /// <summary>Counts one more occurrence of the node's window in <paramref name="trace"/>.</summary>
    /// <remarks>Traces must be learnt one after the other: a trace's id marks the windows it already counted.</remarks>
    public void Increment(int node, int trace, bool atStart)
    {
        _counts[node]++;
        if (atStart)
        {
            _starts[node]++;
        }

        if (_traces[node] == 0 || _owners[node] != trace)
        {
            _traces[node] = (byte)Math.Min(_traces[node] + 1, 2);
            _owners[node] = trace;
        }
    }

    /// <summary>Adds learnt totals to a node (loading a stored model): counts and starts add up, holders combine.</summary>
    public void Add(int node, int count, int starts, int traces, int owner)
    {
        _counts[node] += count;
        _starts[node] += starts;
        if (traces > 0)
        {
            _traces[node] = (byte)Math.Min(_traces[node] + traces, 2);
            _owners[node] = owner;
        }
    }
}
