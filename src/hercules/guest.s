# The pas test guest: a stand-alone ESA/390 program that writes
# sequence-numbered records to one 3390 device, as fast as it can or
# paced, and keeps its counters in low storage where anyone can read them
# with the Hercules console command `r 300.40`.
#
# Layout, loading, the record and the counters: doc/hercules-guest.md
# (keep the two in step; src/hercules/guest.h mirrors the addresses).
#
# Assembled with Debian's binutils-s390x-linux-gnu:
#   s390x-linux-gnu-as -m31 -mesa -march=g5 guest.s -o guest.o
#   s390x-linux-gnu-objcopy -O binary -j .text guest.o guest.bin
# and loaded at real address 0 by `ipl guest.ins` (the IPL PSW is the
# first doubleword). Every address below is absolute (.equ), so the object
# has no relocations and the binary is the storage image from address 0.
#
# Flow: read the parameter block; scan the subchannels with STSCH for the
# device number; enable it with MSCH; then forever: build the channel
# program Seek / Search ID Equal (R0) / TIC / Write CKD (R1) for the next
# track of the range (round-robin), start it with SSCH, poll TSCH until
# the device presents channel end and device end, count the write, note
# how long it took, and (if a delay is set) wait on the clock comparator
# with the CPU in an enabled wait state (Hercules then sleeps).
#
# Registers in the main loop:
#   r4  address of the record's trailer   r5  first track
#   r6  number of tracks                  r7  sequence number of this write
#   r8  index of the track in the range   r9  record buffer (count field)
#   r10 subsystem ID of the device        r11 data length
#   r12 delay between writes, microseconds

        .equ PARM,      0x200           # parameter block (doc)
        .equ P_DEVNO,   PARM+4          # device number (halfword)
        .equ P_FIRST,   PARM+8          # first relative track
        .equ P_TRACKS,  PARM+12         # number of tracks
        .equ P_DLEN,    PARM+16         # data length of the record
        .equ P_DELAY,   PARM+20         # microseconds between writes

        .equ CNT,       0x300           # counters (doc)
        .equ C_EYE,     CNT+0           # C'PASG' once started
        .equ C_STATE,   CNT+4           # 1 scanning, 2 writing, Exx failed
        .equ C_WRITES,  CNT+8           # writes completed
        .equ C_ERRORS,  CNT+12          # writes ended with an error status
        .equ C_RUNID,   CNT+16          # TOD clock at start (8 bytes)
        .equ C_SEQ,     CNT+24          # sequence number of the write started last
        .equ C_LONGEST, CNT+28          # longest write, microseconds
        .equ C_LONGAT,  CNT+32          # C_WRITES when that write completed
        .equ C_LASTERR, CNT+36          # SCSW word 2 of the last error
        .equ C_SUBCH,   CNT+40          # subsystem ID of the device
        .equ C_RETRIES, CNT+44          # restarts without an error status
        .equ C_T0,      CNT+48          # scratch: start of the write (TOD)
        .equ C_T1,      CNT+56          # scratch: end of the write (TOD)

        .equ ERRPSW,    0x340           # disabled wait, address = failure code
        .equ WAITPSW,   0x348           # enabled (external) wait for the delay
        .equ ONES,      0x350           # 8 bytes of X'FF': clock comparator off
        .equ K15,       0x358           # tracks per cylinder of a 3390
        .equ EYE,       0x35C           # C'PASG' in EBCDIC
        .equ SSID0,     0x360           # subsystem ID of subchannel 0
        .equ SSIDEND,   0x364           # one past the last subchannel
        .equ SCRATCH,   0x368
        .equ SCHIB,     0x380           # 52 bytes
        .equ IRB,       0x3C0           # 64 bytes
        .equ CODE,      0x400
        .equ ORB,       0xE00           # 32 bytes
        .equ CCWS,      0xE20           # four format-1 CCWs
        .equ SEEKARG,   0xE40           # 00 00 CC CC HH HH
        .equ SRCHARG,   0xE48           # CC CC HH HH R
        .equ BUF,       0x1000          # count field, then the data

        .text
        .org    0
        .long   0x00080000, 0x80000000+CODE     # IPL PSW: ESA/390, 31-bit
        .org    0x58
        .long   0x00080000, 0                   # external new PSW (set at start)
        .long   0x000A0000, 0x80BAD004          # SVC new: disabled wait
        .long   0x000A0000, 0x80BAD001          # program new: disabled wait
        .long   0x000A0000, 0x80BAD002          # machine check new
        .long   0x000A0000, 0x80BAD003          # I/O new (never enabled)

        .org    PARM                            # defaults; see doc
        .long   0xD7C1E2D7                      # C'PASP'
        .short  0x0A80, 1                       # device 0A80, layout 1
        .long   15, 150, 4096, 0, 0, 0          # tracks 15-164, 4 KB, no delay

        .org    ERRPSW
        .long   0x000A0000, 0x80000000
        .long   0x010A0000, 0x80000000          # wait, external interrupts on
        .long   0xFFFFFFFF, 0xFFFFFFFF
        .long   15
        .long   0xD7C1E2C7                      # C'PASG'
        .long   0x00010000, 0x00020000

        .org    CODE
start:  xc      CNT(64,0),CNT(0)
        mvc     C_EYE(4,0),EYE(0)
        stck    C_RUNID
        basr    %r1,0                           # external new PSW -> resume
base:   la      %r1,resume-base(%r1)
        o       %r1,ERRPSW+4                    # X'80000000': 31-bit mode
        st      %r1,0x5C
        sckc    ONES                            # no clock comparator interrupt yet
        stctl   %c0,%c0,SCRATCH                 # CR0 bit 20: clock comparator
        oi      SCRATCH+2,0x08                  #   subclass mask on
        lctl    %c0,%c0,SCRATCH

        l       %r5,P_FIRST
        l       %r6,P_TRACKS
        l       %r11,P_DLEN
        l       %r12,P_DELAY
        lhi     %r2,0xE0                        # E0: bad parameter block
        ltr     %r6,%r6
        jnp     fail
        chi     %r11,32
        jl      fail
        chi     %r11,16384
        jh      fail

# Find the subchannel whose device number is P_DEVNO.
        mvi     C_STATE+3,1
        xr      %r3,%r3
        icm     %r3,3,P_DEVNO
        l       %r1,SSID0
scan:   stsch   SCHIB
        jo      notfound                        # cc3: no such subchannel
        tm      SCHIB+5,0x01                    # device number valid?
        jz      scannext
        clm     %r3,3,SCHIB+6
        je      found
scannext:
        ahi     %r1,1
        c       %r1,SSIDEND
        jl      scan
notfound:
        lhi     %r2,0xE1                        # E1: device not found
        j       fail
found:  lr      %r10,%r1
        st      %r1,C_SUBCH
        oi      SCHIB+5,0x80                    # enabled
enable: msch    SCHIB
        jz      enabled
        lhi     %r2,0xE2                        # E2: MSCH failed
        jo      fail
        tsch    IRB                             # cc1/2: clear the status
        j       enable
enabled:

# The record: count field CCHH R=1 KL=0 DL, data of DL bytes, zero but
# for the header (eye-catcher, run id, sequence, track, CCHH) and the
# trailer (sequence, low word of the run id) set per write.
        lhi     %r9,BUF
        lr      %r1,%r11
        ahi     %r1,8
        sth     %r1,CCWS+24+2                   # Write CKD count: 8 + DL
        la      %r2,8(%r9)                      # clear the data
        lr      %r3,%r11
        xr      %r0,%r0
        xr      %r1,%r1
        mvcl    %r2,%r0
        mvi     4(%r9),1                        # R1
        mvi     5(%r9),0                        # no key
        sth     %r11,6(%r9)
        mvc     8(4,%r9),EYE
        mvc     12(8,%r9),C_RUNID
        la      %r4,0(%r11,%r9)                 # trailer: last 8 data bytes
        mvc     4(4,%r4),C_RUNID+4
        lhi     %r7,1
        xr      %r8,%r8
        mvi     C_STATE+3,2

# One write per turn.
loop:   lr      %r3,%r5
        alr     %r3,%r8                         # relative track
        st      %r3,24(%r9)                     # data+16: track
        xr      %r2,%r2
        d       %r2,K15                         # r3 cylinder, r2 head
        sth     %r3,SEEKARG+2
        sth     %r2,SEEKARG+4
        sth     %r3,SRCHARG
        sth     %r2,SRCHARG+2
        sth     %r3,0(%r9)                      # count field CCHH
        sth     %r2,2(%r9)
        sth     %r3,28(%r9)                     # data+20: CCHH
        sth     %r2,30(%r9)
        st      %r7,20(%r9)                     # data+12: sequence
        st      %r7,0(%r4)                      # trailer: sequence
        st      %r7,C_SEQ
        lr      %r1,%r10
        stck    C_T0
startio:
        ssch    ORB
        jz      poll
        jo      ssch3                           # cc3: not operational
        tsch    IRB                             # cc1 status pending / cc2 busy:
        j       startio                         #   clear and start again
poll:   tsch    IRB
        brc     4,poll                          # cc1: not yet
        jo      tsch3
        tm      IRB+9,0xFF                      # any subchannel status
        jnz     ioerror
        tm      IRB+8,0x03                      # unit check, unit exception
        jnz     ioerror
        tm      IRB+8,0x0C                      # channel end and device end
        jo      done
        l       %r2,C_RETRIES                   # anything else: write again
        ahi     %r2,1
        st      %r2,C_RETRIES
        j       startio
ioerror:
        l       %r2,C_ERRORS
        ahi     %r2,1
        st      %r2,C_ERRORS
        mvc     C_LASTERR(4,0),IRB+8(0)
        j       startio

done:   stck    C_T1
        l       %r2,C_WRITES
        ahi     %r2,1
        st      %r2,C_WRITES
        lm      %r14,%r15,C_T0
        srdl    %r14,12                         # TOD bit 51 = 1 microsecond
        lm      %r0,%r1,C_T1
        srdl    %r0,12
        slr     %r1,%r15                        # elapsed microseconds
        cl      %r1,C_LONGEST
        jnh     advance
        st      %r1,C_LONGEST
        st      %r2,C_LONGAT
advance:
        ahi     %r7,1
        ahi     %r8,1
        clr     %r8,%r6
        jl      paced
        xr      %r8,%r8
paced:  ltr     %r12,%r12
        jz      loop
        stck    C_T1                            # clock comparator := now + delay
        lm      %r2,%r3,C_T1
        lr      %r15,%r12
        xr      %r14,%r14
        sldl    %r14,12
        alr     %r3,%r15
        brc     12,nocarry
        ahi     %r2,1
nocarry:
        alr     %r2,%r14
        stm     %r2,%r3,C_T1
        sckc    C_T1
        lpsw    WAITPSW
resume: sckc    ONES                            # entered through the external new PSW
        j       loop

ssch3:  lhi     %r2,0xE3                        # E3: SSCH cc3
        j       fail
tsch3:  lhi     %r2,0xE4                        # E4: TSCH cc3
fail:   st      %r2,C_STATE
        st      %r2,ERRPSW+4
        oi      ERRPSW+4,0x80
        lpsw    ERRPSW

# The channel program: Seek, Search ID Equal R0, TIC back to the search
# (until it matches), Write CKD R1 (erases the rest of the track).
        .org    ORB
        .long   0, 0x0080FF00, CCWS             # format-1 CCWs, any path
        .org    CCWS
        .byte   0x07, 0x40
        .short  6
        .long   SEEKARG
        .byte   0x31, 0x40
        .short  5
        .long   SRCHARG
        .byte   0x08, 0x00
        .short  0
        .long   CCWS+8
        .byte   0x1D, 0x00
        .short  0                               # set at start: 8 + DL
        .long   BUF
        .org    SEEKARG
        .long   0, 0
        .long   0, 0
