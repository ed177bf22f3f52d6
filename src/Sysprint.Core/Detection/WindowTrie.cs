namespace Sysprint.Detection;

/// <summary>
/// Windows of calls as a trie grown backwards in time: a node's children are its window with one
/// older call prepended, so a node's parent is its window without the oldest call. Beside these
/// backward edges it keeps forward ones (a window followed by one newer call), so a thread is
/// learnt or read forwards in about one or two probes per call: the longest window ending at a call
/// is the one ending at the call before, less its oldest calls as needed, extended by the call.
/// </summary>
/// <remarks>
/// While learning, a node counts only the positions where it was the longest window (its "ends");
/// every window ending there is one of its parents, so <see cref="Aggregate"/> turns the ends into
/// totals by summing each subtree, children first. Windows added back from a store carry totals
/// already and get their forward edges when first read.
/// </remarks>
internal sealed class WindowTrie
{
    public const int IdBits = NodeTable.IdBits;

    private readonly NodeTable _children;
    private NodeTable _forward;
    private bool _forwardComplete = true;
    private int[] _counts;
    private byte[] _depths;
    private int[] _parents;
    private int[] _ids;
    private int[] _starts;
    private byte[] _traces;
    private int[] _owners;
    private int[] _firsts;

    public WindowTrie(int capacity = 1 << 16)
    {
        _children = new NodeTable(capacity);
        _forward = new NodeTable(capacity);
        _counts = new int[Math.Max(capacity, 16)];
        _depths = new byte[_counts.Length];
        _parents = new int[_counts.Length];
        _ids = new int[_counts.Length];
        _starts = new int[_counts.Length];
        _traces = new byte[_counts.Length];
        _owners = new int[_counts.Length];
        _firsts = new int[_counts.Length];
        NodeCount = 1;
    }

    /// <summary>Nodes including the root (id 0, the empty window).</summary>
    public int NodeCount { get; private set; }

    /// <summary>How often the node's window was learnt (after <see cref="Aggregate"/>; before, its ends).</summary>
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

    /// <summary>The lowest-numbered trace that holds the window (meaningful when <see cref="Traces"/> is not 0).</summary>
    public int First(int node) => _firsts[node];

    /// <summary>The child of <paramref name="parent"/> for one more (older) call, or -1.</summary>
    public int Child(int parent, int id) => _children.Get(parent, id);

    /// <summary>The child, created (count 0) when missing, without its forward edge (loading stored windows).</summary>
    public int GetOrAddChild(int parent, int id, out bool created)
    {
        int node = AddNode(parent, id, out created);
        _forwardComplete &= !created;
        return node;
    }

    /// <summary>
    /// The node of <paramref name="window"/>'s window followed by call <paramref name="id"/>, created
    /// with every shorter window it ends with when new (learning). <paramref name="created"/> counts
    /// the new nodes by length.
    /// </summary>
    public int Extend(int window, int id, Span<int> created)
    {
        int next = _forward.Get(window, id);
        if (next >= 0)
        {
            return next;
        }

        if (!_forwardComplete)
        {
            throw new InvalidOperationException("windows added back from a store cannot be learnt into");
        }

        // The new window less its oldest call is the shorter window's extension by the same call.
        int parent = window == 0 ? 0 : Extend(_parents[window], id, created);
        int node = AddNode(parent, window == 0 ? id : _ids[window], out _);
        _forward.GetOrAdd(window, id, node, out _);
        created[_depths[node]]++;
        return node;
    }

    /// <summary>
    /// The node of <paramref name="node"/>'s window followed by call <paramref name="id"/>, or -1 when
    /// that window was never seen.
    /// </summary>
    public int Next(int node, int id)
    {
        if (!_forwardComplete)
        {
            lock (_children)
            {
                if (!_forwardComplete)
                {
                    _forward = Forward();
                    _forwardComplete = true;
                }
            }
        }

        return _forward.Get(node, id);
    }

    /// <summary>Counts one position where the node's window was the longest learnt, in <paramref name="trace"/>.</summary>
    /// <remarks>Traces must be learnt one after the other: a trace's id marks the windows it already counted.</remarks>
    public void AddEnd(int node, int trace, bool atStart)
    {
        _counts[node]++;
        if (atStart)
        {
            _starts[node]++;
        }

        if (_traces[node] == 0 || _owners[node] != trace)
        {
            _firsts[node] = _traces[node] == 0 ? trace : Math.Min(_firsts[node], trace);
            _traces[node] = (byte)Math.Min(_traces[node] + 1, 2);
            _owners[node] = trace;
        }
    }

    /// <summary>Turns learnt ends into totals: a window occurs wherever a longer window ending with it does.</summary>
    public void Aggregate()
    {
        // Nodes are numbered after their parents, so children are summed before their parents are read.
        for (int node = NodeCount - 1; node > 0; node--)
        {
            int parent = _parents[node];
            if (parent == 0 || _traces[node] == 0)
            {
                continue;
            }

            _counts[parent] += _counts[node];
            if (_traces[parent] == 0)
            {
                _traces[parent] = _traces[node];
                _owners[parent] = _owners[node];
                _firsts[parent] = _firsts[node];
                continue;
            }

            _firsts[parent] = Math.Min(_firsts[parent], _firsts[node]);
            if (_traces[node] == 2 || _owners[parent] != _owners[node])
            {
                _traces[parent] = 2;
            }
        }
    }

    /// <summary>Adds stored totals to a node: counts and starts add up, holders combine.</summary>
    public void Add(int node, int count, int starts, int traces, int owner)
    {
        _counts[node] += count;
        _starts[node] += starts;
        if (traces > 0)
        {
            _firsts[node] = _traces[node] == 0 ? owner : Math.Min(_firsts[node], owner);
            _traces[node] = (byte)Math.Min(_traces[node] + traces, 2);
            _owners[node] = owner;
        }
    }

    private int AddNode(int parent, int id, out bool created)
    {
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
            Array.Resize(ref _firsts, size);
        }

        _depths[node] = (byte)(_depths[parent] + 1);
        _parents[node] = parent;
        _ids[node] = id;
        return node;
    }

    // A window X is (X without its newest call) followed by its newest call. Nodes are numbered
    // after their parents, so both are known for a node's parent when the node is reached: the
    // window without the newest call is the parent's, with X's oldest call prepended.
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
}
