/*
 * Promela model of the pas swap protocol (doc/swap-protocol.md).
 * What it abstracts and how it is checked: doc/protocol-model.md.
 * Run it with scripts/check-protocol.sh.
 *
 * Systems: 0 is the job's system (the job is its participant), 1 and 2 are
 * monitor systems (monitor i is the participant of system i). Every system
 * has one application writer. Devices: SRC and TGT, NT tracks each. The
 * content of a track is the SET of writes it holds (one bit per write), so a
 * stale copy that overwrites a newer track visibly drops a bit.
 *
 * Knobs (spin -D...):
 *   NT          tracks (default 2)
 *   NW          writes per writer (default 2; the writer then does one more
 *               I/O, a read, after every participant has ended: the I/O
 *               "afterwards" of rule 1)
 *   NPASS       maximum recopy passes (default 1; the job may stop earlier)
 *   MAXKILL     processes killed per run (default 1)
 *   VICTIMS     bit mask of who may be killed (default 7: job and monitors;
 *               bits 3..5 add the writers of systems 0..2)
 * Design variants that reproduce the findings (each must FAIL):
 *   FLAW_TRUST_ACK       the job reads a handed-over region as soon as the
 *                        participant's ack is visible (design as written)
 *   FLAW_NO_OWNER_CHECK  an application only recovers while it waits on a
 *                        quiesce (design as written); a dead participant's
 *                        intercept on an unquiesced system stays installed
 *   FLAW_WRITEBACK       an acknowledged application write may still sit in
 *                        its system's cache (not yet on the shared storage)
 */

#ifndef NT
#define NT 2
#endif
#ifndef NW
#define NW 2
#endif
#ifndef NPASS
#define NPASS 1
#endif
#ifndef MAXKILL
#define MAXKILL 1
#endif

#define NS 3            /* systems: 0 = job's, 1 and 2 = monitors' */
#define SRC 0
#define TGT 1
#define NONE 0
#define SWAP 1
#define SOURCE 2

#define WBIT(s, k)  (1 << ((s) * NW + (k)))
#define TRACK(s, k) (((s) + (k)) % NT)
#define TBIT(t)     (1 << (t))
#define CELL(d, t)  ((d) * NT + (t))

/* ---- the devices (image files) ---- */
byte dsk[2 * NT];       /* set of write ids held by device d, track t */
byte acked[NT];         /* writes acknowledged to an application, per track */
bit relabelled;         /* the job wrote the old source's VOL1 */

/* ---- the decision record: created once (link(2), EEXIST for the second) ---- */
byte decision;
#define DECIDE_SOURCE atomic { if :: decision == NONE -> decision = SOURCE :: else -> skip fi }

/* ---- per-system unit table (SYSNAME.units), shared by that system's processes ---- */
bit dev[NS];            /* device the unit points at (generation bump = change) */
bit icpt[NS];           /* intercept installed */
bit quiesce[NS];        /* quiesce word (holder: the system's participant) */
byte inflight[NS];      /* the writer's in-flight word: track + 1, 0 = idle */
byte dirty[NS];         /* dirty-track bitmap */

/* ---- liveness: OFD locks the kernel releases on death ---- */
bit pdead[NS];          /* participant dead (job for 0, monitor i for i) */
bit pfin[NS];           /* participant ended normally */
bit wdead[NS];
bit wfin[NS];

/* ---- coordination area (TARGET.pas-ctl) ---- */
bit announced;          /* header: request written, source registry frozen */
byte hseq;              /* header: harvest sequence number */
bit qreq;               /* header: this harvest is the quiesce (same write as hseq) */
bit joined[NS];         /* participant block: JOINED */
byte region[NS];        /* participant bitmap region: handed-over tracks ... */
byte rstamp[NS];        /* ... stamped with the harvest_seq it answers (same block, checksummed) */
#ifdef FLAW_TRUST_ACK
byte hack[NS];          /* participant block: acknowledged harvest_seq, a separate write */
#endif

#ifdef FLAW_WRITEBACK
byte pend_w[NS];        /* one cached, unflushed application write per system */
byte pend_c[NS];
#endif

/* ---- results of the applications' I/O afterwards ---- */
bit uses[NS];
bit probed[NS];
bit all_done;

#ifdef FLAW_NO_OWNER_CHECK
#define OWNER_GONE(s) false
#else
#define OWNER_GONE(s) (icpt[s] && pdead[s])
#endif

/* Following the decision, first step: on SWAP point the unit at the target
 * (generation bump). Idempotent: several processes may run it. */
inline follow_dev(s) {
  if
  :: decision == SWAP ->
       assert(quiesce[s] || dev[s] == TGT);   /* never switch a unit that can still write */
       dev[s] = TGT
  :: else -> assert(dev[s] == SRC)
  fi
}
/* second step: remove the intercept, clear the quiesce word, wake waiters */
inline follow_release(s) {
  icpt[s] = 0; quiesce[s] = 0
}

/* Every participant ended (normally or by death). */
#define PARTICIPANTS_ENDED ((pfin[0] || pdead[0]) && (pfin[1] || pdead[1]) && (pfin[2] || pdead[2]))

/* ------------------------------------------------------------------ */
/* An application writer on system s: NW writes, then one read once every
 * participant has ended (the I/O "afterwards" of rule 1). Each I/O:
 * publish in-flight; check quiesce (wait, or recover when the holder is
 * dead); check the generation (which image) and mark before; write; mark
 * after, clear in-flight, acknowledge. */
proctype Writer(byte s) {
  byte k, t, w, d;
  {
    k = 0;
next:
    if
    :: atomic { k < NW -> t = TRACK(s, k); w = WBIT(s, k) }
    :: atomic { k == NW && PARTICIPANTS_ENDED -> t = 0; w = 0 }
    :: atomic { k > NW -> goto finished }
    fi;
check:
    /* Publish in-flight and check quiesce, the generation and the
     * intercept. One step: with sequentially consistent atomics within a
     * system, every interleaving of a participant's "set quiesce, then
     * read in-flight" with "publish, then check" ends like one of these. */
    if
    :: atomic { quiesce[s] -> skip };          /* quiesced: wait on the futex */
         if
         :: atomic { !quiesce[s] -> goto check }              /* woken */
         :: atomic { quiesce[s] && pdead[s] ->                /* holder dead: recovery */
                     DECIDE_SOURCE; follow_dev(s) };
            atomic { follow_release(s); goto check }
         fi
#ifndef FLAW_NO_OWNER_CHECK
    :: atomic { !quiesce[s] && icpt[s] && pdead[s] ->   /* intercept owner dead: recovery */
                DECIDE_SOURCE; follow_dev(s) };
         atomic { follow_release(s); goto check }
#endif
    :: atomic { !quiesce[s] && !OWNER_GONE(s) ->
                inflight[s] = t + 1;                         /* in-flight */
                d = dev[s];                                   /* generation check */
                if :: w != 0 && icpt[s] -> dirty[s] = dirty[s] | TBIT(t) :: else -> skip fi }  /* mark before */
    fi;
    if
    :: atomic { w != 0 ->
#ifdef FLAW_WRITEBACK
                pend_w[s] == 0 ->
                assert(d == SRC || decision == SWAP);
                assert(decision != SWAP || d == TGT);
                pend_c[s] = CELL(d, t); pend_w[s] = w }
#else
                assert(d == SRC || decision == SWAP);   /* no target write before SWAP */
                assert(decision != SWAP || d == TGT);   /* no source write after SWAP */
                dsk[CELL(d, t)] = dsk[CELL(d, t)] | w }
#endif
       atomic {
         if :: icpt[s] -> dirty[s] = dirty[s] | TBIT(t) :: else -> skip fi;  /* mark after */
         inflight[s] = 0;
         acked[t] = acked[t] | w;               /* acknowledged to the application */
         k++; t = 0; w = 0; d = 0;
         goto next
       }
    :: atomic { w == 0 -> inflight[s] = 0; uses[s] = d; probed[s] = 1; k++; t = 0; d = 0; goto next }
    fi;
finished:
#ifdef FLAW_WRITEBACK
    (pend_w[s] == 0);                           /* close(): flushed */
#endif
    wfin[s] = 1
  } unless { wdead[s] }
}

/* ------------------------------------------------------------------ */
/* A monitor: joins, hands over on each harvest_seq (quiescing and
 * draining first when the header asks), follows the decision, or decides
 * SOURCE when the job's byte-0 lock is free. */
#define ASKED(s) (decision == NONE && hseq != rstamp[s])
proctype Monitor(byte s) {
  byte b;
#ifdef FLAW_TRUST_ACK
  byte seq;
#endif
  {
    if
    :: atomic { announced -> icpt[s] = 1 }           /* swap context + intercept */
    :: atomic { (pfin[0] || pdead[0]) && !announced -> goto out }
    fi;
    atomic { (inflight[s] == 0 || wdead[s]) -> joined[s] = 1 }  /* grace period, JOINED */
    do
    :: atomic { ASKED(s) && qreq && !quiesce[s] -> quiesce[s] = 1 }
#ifdef FLAW_TRUST_ACK
    /* take-and-clear, then two writes to the coordination area that the
     * storage may show in either order */
    :: atomic { ASKED(s) && (!qreq || (quiesce[s] && (inflight[s] == 0 || wdead[s]))) ->
                if :: inflight[s] != 0 -> dirty[s] = dirty[s] | TBIT(inflight[s] - 1) :: else -> skip fi;
                b = dirty[s]; dirty[s] = 0; seq = hseq };
         if
         :: atomic { region[s] = b; rstamp[s] = seq }; hack[s] = seq
         :: hack[s] = seq; atomic { region[s] = b; rstamp[s] = seq }
         fi;
         b = 0; seq = 0
#else
    /* (drained if quiescing:) take-and-clear, region written with its stamp */
    :: atomic { ASKED(s) && (!qreq || (quiesce[s] && (inflight[s] == 0 || wdead[s]))) ->
                if :: qreq && inflight[s] != 0 -> dirty[s] = dirty[s] | TBIT(inflight[s] - 1) :: else -> skip fi;
                region[s] = dirty[s]; dirty[s] = 0; rstamp[s] = hseq }
#endif
    :: atomic { decision != NONE -> follow_dev(s) }; atomic { follow_release(s); pfin[s] = 1; break }
    :: atomic { decision == NONE && pdead[0] -> decision = SOURCE }   /* job's byte-0 lock free */
    od;
    goto done;
out:
    pfin[s] = 1;
done:
    skip
  } unless { pdead[s] }
}

/* ------------------------------------------------------------------ */
/* Wait for every expected participant's handover for `seq`, union into b. */
inline collect() {
  i = 1;
  do
  :: atomic { i < NS && drop[i] -> i++ }
#ifdef FLAW_TRUST_ACK
  :: atomic { i < NS && !drop[i] && hack[i] == seq -> b = b | region[i]; i++ }
#else
  :: atomic { i < NS && !drop[i] && rstamp[i] == seq -> b = b | region[i]; i++ }
#endif
  :: atomic { i < NS && !drop[i] && pdead[i] -> DECIDE_SOURCE; goto decided }
  :: atomic { decision != NONE -> goto decided }
  :: atomic { i == NS -> i = 0; break }
  od
}

/* Copy the tracks of set b: read the source track, then write the target
 * track (two steps: applications may write in between). Loop control is
 * folded into those steps. */
#define NEXT_TRACK do :: t < NT && !(b & TBIT(t)) -> t++ :: else -> break od
inline copy_set() {
  atomic { t = 0; NEXT_TRACK };
  do
  :: atomic { t < NT -> v = dsk[CELL(SRC, t)] };
     atomic { dsk[CELL(TGT, t)] = v; v = 0; t++; NEXT_TRACK;
              if :: t == NT -> t = 0; b = 0; break :: else -> skip fi }
  :: atomic { t == NT -> t = 0; b = 0; break }
  od
}

proctype Job() {
  byte b, i, t, v, seq;
  bit drop[NS];
  {
    announced = 1;                             /* request + source registry freeze */
    icpt[0] = 1;                               /* join for its own system */
    (inflight[0] == 0 || wdead[0]);            /* grace period */
    i = 1;
    do                                         /* JOINED: wait for every system */
    :: atomic { i < NS && joined[i] -> i++ }
    /* A system whose processes all died is still varied online on the
       source (online is a fact on the storage, kept until vary offline,
       which the model never does): it is not dropped, so drop[] stays 0
       and NONRESPONDING applies. */
    :: atomic { i < NS && pdead[i] && !joined[i] && !wdead[i] -> DECIDE_SOURCE; goto decided }  /* NONRESPONDING */
    :: atomic { decision != NONE -> goto decided }
    :: atomic { i == NS -> i = 0; b = (1 << NT) - 1; break }  /* COPY: every track */
    od;
    copy_set();
    do                                         /* RECOPY(n); the job may stop any time */
    :: atomic { seq < NPASS -> seq++; hseq = seq; b = dirty[0]; dirty[0] = 0 };  /* ask; own harvest */
       collect();
       copy_set()
    :: atomic { true -> break }
    od;
    atomic { seq++; hseq = seq; qreq = 1; quiesce[0] = 1 };        /* QUIESCE */
    atomic { (inflight[0] == 0 || wdead[0]) ->                      /* drain, own final harvest */
             if :: inflight[0] != 0 -> dirty[0] = dirty[0] | TBIT(inflight[0] - 1) :: else -> skip fi;
             b = dirty[0]; dirty[0] = 0 };
    collect();                                 /* final handovers */
    copy_set();                                /* FINAL, then fdatasync */
    if                                         /* DECIDED: everyone still holds its lock */
    :: atomic { (pdead[1] && !drop[1]) || (pdead[2] && !drop[2]) -> DECIDE_SOURCE }
    :: atomic { !((pdead[1] && !drop[1]) || (pdead[2] && !drop[2])) ->
           if
           :: decision == NONE ->
                decision = SWAP;
                t = 0;                         /* rule 6: target equals source */
                do
                :: t < NT -> assert(dsk[CELL(SRC, t)] == dsk[CELL(TGT, t)]); t++
                :: t == NT -> t = 0; break
                od
           :: else -> skip
           fi }
    fi;
decided:
    atomic { follow_dev(0) };
    atomic { follow_release(0); if :: decision != SWAP -> pfin[0] = 1; goto jobend :: else -> skip fi };
    atomic { relabelled = 1; pfin[0] = 1 };    /* relabel: the only write pas makes to a source */
jobend:
    skip
  } unless { pdead[0] }
}

/* ------------------------------------------------------------------ */
/* Death at any step: the killer may kill a process between any two of its
 * steps (also while it waits). Death and the release of its locks are one
 * event: the flag others read is the kernel releasing the OFD lock; the
 * victim's `unless` escape has priority, so it takes no further step.
 * VICTIMS selects who may die: bit 0 the job, 1 and 2 the monitors, 3..5
 * the writers of systems 0..2. */
#ifndef VICTIMS
#define VICTIMS 7
#endif
#define MAY_KILL(v) ((VICTIMS >> (v)) & 1)
proctype Killer() {
  byte n = 0;
end:
  do
  :: atomic { MAY_KILL(0) && n < MAXKILL && !pfin[0] && !pdead[0] -> pdead[0] = 1; n++ }
  :: atomic { MAY_KILL(1) && n < MAXKILL && !pfin[1] && !pdead[1] -> pdead[1] = 1; n++ }
  :: atomic { MAY_KILL(2) && n < MAXKILL && !pfin[2] && !pdead[2] -> pdead[2] = 1; n++ }
  :: atomic { MAY_KILL(3) && n < MAXKILL && !wfin[0] && !wdead[0] -> wdead[0] = 1; n++ }
  :: atomic { MAY_KILL(4) && n < MAXKILL && !wfin[1] && !wdead[1] -> wdead[1] = 1; n++ }
  :: atomic { MAY_KILL(5) && n < MAXKILL && !wfin[2] && !wdead[2] -> wdead[2] = 1; n++ }
  od
}

#ifdef FLAW_WRITEBACK
/* the systems' page caches reach the shared storage at any later time */
proctype Storage() {
  do
  :: atomic { pend_w[0] != 0 -> dsk[pend_c[0]] = dsk[pend_c[0]] | pend_w[0]; pend_w[0] = 0 }
  :: atomic { pend_w[1] != 0 -> dsk[pend_c[1]] = dsk[pend_c[1]] | pend_w[1]; pend_w[1] = 0 }
  :: atomic { pend_w[2] != 0 -> dsk[pend_c[2]] = dsk[pend_c[2]] | pend_w[2]; pend_w[2] = 0 }
  :: (wfin[0] || wdead[0]) && (wfin[1] || wdead[1]) && (wfin[2] || wdead[2]) &&
     pend_w[0] == 0 && pend_w[1] == 0 && pend_w[2] == 0 -> break
  od
}
#endif

init {
  byte s, t, d;
  atomic {
    run Job(); run Monitor(1); run Monitor(2);
    run Writer(0); run Writer(1); run Writer(2);
    run Killer();
#ifdef FLAW_WRITEBACK
    run Storage();
#endif
  }
  /* every process ended or died */
  (pfin[0] || pdead[0]) && (pfin[1] || pdead[1]) && (pfin[2] || pdead[2]) &&
  (wfin[0] || wdead[0]) && (wfin[1] || wdead[1]) && (wfin[2] || wdead[2]);
  atomic {
    d = (decision == SWAP -> TGT : SRC);
    assert(!relabelled || decision == SWAP);
    s = 0;
    do
    :: s < NS ->
         if
         :: !wdead[s] ->
              assert(probed[s]);
              assert(uses[s] == d);            /* property 2: one device, the decided one */
              assert(!icpt[s] && !quiesce[s]); /* no intercept or quiesce left */
         :: else -> skip
         fi;
         s++
    :: s == NS -> break
    od;
    t = 0;
    do
    :: t < NT ->                               /* property 1: no acknowledged write lost */
         assert((acked[t] & dsk[CELL(d, t)]) == acked[t]);
         t++
    :: t == NT -> break
    od;
    all_done = 1
  }
}

ltl terminates { <> all_done }
