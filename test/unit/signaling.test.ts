import { expect } from '@open-wc/testing';
import { LoopbackFullError, loopbackSignaling } from '../../src/signaling/loopback.js';
import {
  createSignaling,
  SignalingAddressError,
  type NegotiationMessage,
  type SignalingChannel,
  type SignalingListener,
} from '../../src/signaling/signaling.js';
import {
  FirstPeerChannel,
  randomId,
  type LeaveReason,
  type Room,
  type RoomListener,
} from '../../src/signaling/room.js';
import { BroadcastRoom } from '../../src/signaling/broadcast.js';
import { roomAdapters, signalingAdapters } from '../../src/signaling/adapters.js';
import { registerNetworkAdapters } from '../../src/signaling/network-adapters.js';
import { EarlyMessages } from '../../src/signaling/early-messages.js';
import { inertSignaling } from '../../src/signaling/inert.js';
import { uniqueName, until } from '../helpers.js';

const inbox = (channel: SignalingChannel) => {
  const received: unknown[] = [];
  let left = 0;
  channel.start({ message: (m) => received.push(m), peerLeft: () => left++ });
  return { received, left: () => left };
};

describe('createSignaling', () => {
  it('makes a loopback channel from loopback:NAME', () => {
    const channel = createSignaling(`loopback:${uniqueName()}`, signalingAdapters);
    expect(channel.send).to.be.a('function');
    channel.close();
  });

  it('says which schemes exist for an unknown one', () => {
    expect(() => createSignaling('carrier-pigeon:coop', signalingAdapters))
      .to.throw(SignalingAddressError)
      .with.property('message')
      .that.contains('"carrier-pigeon:"')
      .and.contains('"loopback:"');
  });

  it("refuses a scheme named like an object's own property (constructor:, toString:)", () => {
    for (const address of ['constructor:x', 'toString:x', 'valueOf:x', 'hasOwnProperty:x'])
      expect(() => createSignaling(address, signalingAdapters), address).to.throw(
        SignalingAddressError,
        'which no adapter handles',
      );
  });

  it('refuses something that is not an address', () => {
    expect(() => createSignaling('just words', signalingAdapters)).to.throw(
      SignalingAddressError,
      /not an address/,
    );
  });
});

describe('registerNetworkAdapters', () => {
  it("adds broadcast:, ws: and wss:, and keeps a site's own adapter for a scheme when called again", () => {
    registerNetworkAdapters();
    const kits = { signaling: signalingAdapters.wss, room: roomAdapters.wss };
    expect(kits.signaling).to.be.a('function');
    expect(roomAdapters.broadcast).to.be.a('function');
    const own = { signaling: inertSignaling, room: () => ({}) as Room };
    signalingAdapters.wss = own.signaling;
    roomAdapters.wss = own.room;
    try {
      // As each <call-room> does when it joins.
      registerNetworkAdapters();
      expect(signalingAdapters.wss).to.equal(own.signaling);
      expect(roomAdapters.wss).to.equal(own.room);
    } finally {
      signalingAdapters.wss = kits.signaling;
      roomAdapters.wss = kits.room;
    }
  });
});

describe('loopback signaling', () => {
  it('delivers each side’s messages to the other, as copies, in order', async () => {
    const name = uniqueName();
    const a = loopbackSignaling(name, {});
    const b = loopbackSignaling(name, {});
    const atA = inbox(a);
    const atB = inbox(b);
    const description = { type: 'offer' as const, sdp: 'v=0' };
    a.send({ description });
    a.send({ candidate: { candidate: 'c', sdpMid: '0' } });
    b.send({ description: { type: 'answer', sdp: 'v=0' } });
    await until(() => atB.received.length === 2 && atA.received.length === 1, 'messages');
    expect(atB.received).to.deep.equal([{ description }, { candidate: { candidate: 'c', sdpMid: '0' } }]);
    expect(atB.received[0]).not.to.equal(description);
    a.close();
    b.close();
  });

  it('keeps messages for a far side that joins later', async () => {
    const name = uniqueName();
    const a = loopbackSignaling(name, {});
    inbox(a);
    a.send({ description: { type: 'offer', sdp: 'v=0' } });
    const b = loopbackSignaling(name, {});
    const atB = inbox(b);
    await until(() => atB.received.length === 1, 'the early message');
    a.close();
    b.close();
  });

  it('says whether a far side is there; alone, it keeps only the latest offer and what came after it', async () => {
    const name = uniqueName();
    const a = loopbackSignaling(name, {});
    inbox(a);
    expect(a.farSidePresent).to.equal(false);
    for (let i = 1; i <= 5; i++) {
      a.send({ description: { type: 'offer', sdp: `v=0 #${i}` } });
      a.send({ candidate: { candidate: `c #${i}`, sdpMid: '0' } });
    }
    const b = loopbackSignaling(name, {});
    expect(a.farSidePresent).to.equal(true);
    const atB = inbox(b);
    await until(() => atB.received.length === 2, 'the kept messages');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(atB.received).to.deep.equal([
      { description: { type: 'offer', sdp: 'v=0 #5' } },
      { candidate: { candidate: 'c #5', sdpMid: '0' } },
    ]);
    a.close();
    b.close();
  });

  it('makes the second to join polite, unless a side declares itself polite', () => {
    const first = loopbackSignaling(uniqueName(), {});
    expect(first.polite).to.equal(false);
    first.close();

    const name = uniqueName();
    const a = loopbackSignaling(name, {});
    const b = loopbackSignaling(name, {});
    expect([a.polite, b.polite]).to.deep.equal([false, true]);
    a.close();
    b.close();

    const other = uniqueName();
    const c = loopbackSignaling(other, { polite: true });
    const d = loopbackSignaling(other, {});
    expect([c.polite, d.polite]).to.deep.equal([true, false]);
    c.close();
    d.close();
  });

  it('refuses a third connection', () => {
    const name = uniqueName();
    const a = loopbackSignaling(name, {});
    const b = loopbackSignaling(name, {});
    expect(() => loopbackSignaling(name, {})).to.throw(LoopbackFullError, /already joins two/);
    a.close();
    b.close();
  });

  it('tells the remaining side when the other leaves, and takes a new far side', async () => {
    const name = uniqueName();
    const a = loopbackSignaling(name, {});
    const b = loopbackSignaling(name, {});
    const atA = inbox(a);
    inbox(b);
    b.close();
    await until(() => atA.left() === 1, 'peerLeft');
    const c = loopbackSignaling(name, {});
    const atC = inbox(c);
    a.send({ description: { type: 'offer', sdp: 'v=0' } });
    await until(() => atC.received.length === 1, 'delivery to the new far side');
    a.close();
    c.close();
  });
});

describe('BroadcastRoom', () => {
  it('joined twice, hears each message once', async () => {
    const name = uniqueName();
    const [twice, other] = [new BroadcastRoom(name), new BroadcastRoom(name)];
    const heard: unknown[] = [];
    const listener = (onMessage: (data: unknown) => void): RoomListener => ({
      joined: () => {},
      left: () => {},
      updated: () => {},
      message: (_from, data) => onMessage(data),
      error: () => {},
    });
    twice.join(
      listener(() => {}),
      {},
    );
    twice.join(
      listener((data) => heard.push(data)),
      {},
    );
    other.join(
      listener(() => {}),
      {},
    );
    try {
      await new Promise((resolve) => setTimeout(resolve, 100));
      other.send(twice.selfId, 'hello');
      await until(() => heard.length > 0, 'the message');
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(heard).to.deep.equal(['hello']);
    } finally {
      twice.leave();
      other.leave();
    }
  });

  it('takes a peer that went silent without goodbye (a crashed tab) for gone, and one heard again for back', async () => {
    const name = uniqueName();
    const timing = { aliveEveryMs: 50, goneAfterMs: 300 };
    const [room, live] = [new BroadcastRoom(name, timing), new BroadcastRoom(name, timing)];
    const heard: string[] = [];
    const quiet: RoomListener = {
      joined: () => {},
      left: () => {},
      updated: () => {},
      message: () => {},
      error: () => {},
    };
    room.join(
      {
        ...quiet,
        joined: (peer) => heard.push(`joined ${peer.id}`),
        left: (peer, reason) => heard.push(`left ${peer.id} ${reason}`),
      },
      {},
    );
    live.join(quiet, {});
    // A tab that says hello, then dies: its channel goes with no goodbye.
    const ghost = new BroadcastChannel(`webrtc-elements:${name}`);
    try {
      ghost.postMessage({ type: 'hello', from: 'ghost', meta: {} });
      await until(() => heard.includes('left ghost gone'), 'the silent peer gone', 3000);
      expect(
        heard.filter((line) => line.endsWith(live.selfId)),
        'the live one stays',
      ).to.deep.equal([`joined ${live.selfId}`]);
      // Heard again (its tab was only throttled): it is back.
      ghost.postMessage({ type: 'alive', from: 'ghost', meta: {} });
      await until(() => heard.filter((line) => line === 'joined ghost').length === 2, 'the peer back');
    } finally {
      ghost.close();
      room.leave();
      live.leave();
    }
  });
});

describe('randomId', () => {
  it('makes an id without crypto.randomUUID, as in a page that is not a secure context', () => {
    Object.defineProperty(crypto, 'randomUUID', { value: undefined, configurable: true });
    try {
      const [one, two] = [randomId(), randomId()];
      expect(one).to.match(/^[0-9a-f]{32}$/);
      expect(one).not.to.equal(two);
    } finally {
      delete (crypto as { randomUUID?: unknown }).randomUUID;
    }
    expect(randomId()).to.match(/^[0-9a-f-]{36}$/);
  });
});

describe('EarlyMessages', () => {
  /** A channel the test delivers into, as a far side would; `waiting` are handed over inside `start`. */
  function wire(waiting: unknown[] = []) {
    let listener: SignalingListener | undefined;
    const sent: unknown[] = [];
    const channel: SignalingChannel = {
      start(next) {
        listener = next;
        for (const message of waiting.splice(0)) next.message(message);
      },
      send: (message) => sent.push(message),
      close: () => (listener = undefined),
      polite: true,
    };
    return {
      channel,
      sent,
      deliver: (message: unknown) => listener?.message(message),
      leave: () => listener?.peerLeft?.(),
    };
  }

  it('keeps what comes before anyone listens, tells each arrival, and hands it all over in order', () => {
    const { channel, deliver } = wire();
    let arrivals = 0;
    const held = new EarlyMessages(channel, () => arrivals++);
    held.listen();
    expect(held.waiting).to.equal(false);
    deliver('one');
    deliver('two');
    expect(arrivals).to.equal(2);
    expect(held.waiting).to.equal(true);
    const got = inbox(held);
    expect(got.received).to.deep.equal(['one', 'two']);
    expect(held.waiting).to.equal(false);
    deliver('three');
    expect(got.received).to.deep.equal(['one', 'two', 'three']);
    expect(arrivals).to.equal(2);
  });

  it('hands over a message that arrives while the listener is being made in answer to it', () => {
    const { channel, deliver } = wire();
    const received: unknown[] = [];
    const held: EarlyMessages = new EarlyMessages(channel, () =>
      held.start({ message: (m) => received.push(m) }),
    );
    held.listen();
    deliver('offer');
    deliver('candidate');
    expect(received).to.deep.equal(['offer', 'candidate']);
  });

  it('keeps messages a channel hands over inside its start, for whoever listens next', () => {
    const { channel } = wire(['waiting offer']);
    const held = new EarlyMessages(channel, () => {});
    held.listen();
    expect(held.waiting).to.equal(true);
    expect(inbox(held).received).to.deep.equal(['waiting offer']);
  });

  it('keeps at most a thousand messages, and tells once that later ones were dropped', () => {
    const { channel, deliver } = wire();
    const failures: string[] = [];
    const held = new EarlyMessages(
      channel,
      () => {},
      (error) => failures.push(error.message),
    );
    held.listen();
    for (let i = 0; i < 1500; i++) deliver(i);
    expect(failures).to.deep.equal([
      'more than 1000 messages came before the connection was made; later ones were dropped',
    ]);
    const { received } = inbox(held);
    expect(received.length).to.equal(1000);
    expect(received[999]).to.equal(999);
  });

  it('forgets what a far side that left sent, and passes on later departures', () => {
    const { channel, deliver, leave } = wire();
    const held = new EarlyMessages(channel, () => {});
    held.listen();
    deliver('stale');
    leave();
    const got = inbox(held);
    expect(got.received).to.deep.equal([]);
    leave();
    expect(got.left()).to.equal(1);
  });

  it("keeps the next far side's messages for a new listener once the far side left", () => {
    const { channel, deliver, leave } = wire();
    let arrivals = 0;
    const held = new EarlyMessages(channel, () => arrivals++);
    held.listen();
    const first = inbox(held);
    deliver('one');
    leave();
    deliver('two');
    expect([first.received, first.left(), arrivals, held.waiting]).to.deep.equal([['one'], 1, 1, true]);
    const next = inbox(held);
    expect(next.received).to.deep.equal(['two']);
  });

  it('sends, closes and tells the role through the channel it wraps', () => {
    const { channel, sent } = wire();
    const held = new EarlyMessages(channel, () => {});
    held.send({ offerWanted: {} });
    expect(sent).to.deep.equal([{ offerWanted: {} }]);
    expect(held.polite).to.equal(true);
  });
});

describe('FirstPeerChannel', () => {
  /** A room of plain objects: what this side sends, and a way to make a peer join. */
  function fakeRoom() {
    const sent: unknown[] = [];
    let listener: RoomListener | undefined;
    const room: Room = {
      selfId: 'self',
      join: (l) => (listener = l),
      send: (_to, data) => sent.push(data),
      setMeta: () => {},
      leave: () => {},
    };
    return {
      room,
      sent,
      join: (id: string) => listener!.joined({ id, meta: {} }),
      leave: (id: string, reason: LeaveReason) => listener!.left({ id, meta: {} }, reason),
      message: (from: string, data: unknown) => listener!.message(from, data),
    };
  }
  /** A channel started with a listener that records what it hears, and whose media flows while `flowing` is set. */
  function listened(room: Room) {
    const channel = new FirstPeerChannel(room);
    const heard: unknown[] = [];
    const media = { flowing: true };
    channel.start({
      message: (m) => heard.push(m),
      peerLeft: () => heard.push('peer left'),
      connected: () => media.flowing,
    });
    return { channel, heard, media };
  }
  const aWhile = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const offer = (sdp: string): NegotiationMessage => ({ description: { type: 'offer', sdp } });
  const candidate = (text: string): NegotiationMessage => ({
    candidate: { candidate: text, sdpMid: '0' },
  });

  it('hands the first peer only the latest description and what came after it, not every resend', () => {
    const { room, sent, join } = fakeRoom();
    const channel = new FirstPeerChannel(room);
    channel.start({ message: () => {} });
    for (let i = 1; i <= 50; i++) {
      channel.send(offer(`v=0 #${i}`));
      channel.send(candidate(`c1 #${i}`));
    }
    channel.send({ offerWanted: { video: 1 } });
    join('far');
    expect(sent).to.deep.equal([offer('v=0 #50'), candidate('c1 #50'), { offerWanted: { video: 1 } }]);
    channel.send(offer('v=0 #51'));
    expect(sent).to.have.length(4);
  });

  it('keeps a partner reported gone while media flows, and talks to it again once it is back', async () => {
    const fake = fakeRoom();
    const { channel, heard } = listened(fake.room);
    fake.join('far');
    fake.join('next');
    fake.leave('far', 'gone');
    await aWhile(1200);
    fake.join('far');
    fake.message('far', offer('v=0 back'));
    fake.message('next', offer('v=0 next'));
    channel.send(offer('v=0 answer'));
    expect(heard).to.deep.equal([offer('v=0 back')]);
    expect(fake.sent).to.deep.equal([offer('v=0 answer')]);
    channel.close();
  });

  it('lets a partner reported gone go once media stops, and meets the next peer present', async () => {
    const fake = fakeRoom();
    const { channel, heard, media } = listened(fake.room);
    fake.join('far');
    fake.join('next');
    fake.leave('far', 'gone');
    media.flowing = false;
    await aWhile(1200);
    expect(heard).to.deep.equal(['peer left']);
    fake.message('next', offer('v=0 next'));
    expect(heard).to.deep.equal(['peer left', offer('v=0 next')]);
    channel.close();
  });

  it('lets a partner reported gone go after 15 s though media flows, if it never comes back', async () => {
    const fake = fakeRoom();
    const { channel, heard } = listened(fake.room);
    fake.join('far');
    fake.leave('far', 'gone');
    // The grace is read from the clock at each check (once a second): the clock is moved past it, not waited out.
    const realNow = Date.now;
    const start = realNow();
    try {
      Date.now = () => start + 14_000;
      await aWhile(1200);
      expect(heard, 'within the grace').to.deep.equal([]);
      Date.now = () => start + 15_000;
      await aWhile(1200);
      expect(heard, 'past the grace').to.deep.equal(['peer left']);
    } finally {
      Date.now = realNow;
      channel.close();
    }
  });

  it('joins its room once, though started again (a channel of the page given to an element inserted anew)', () => {
    const fake = fakeRoom();
    let joins = 0;
    const room: Room = { ...fake.room, join: (listener, meta) => (joins++, fake.room.join(listener, meta)) };
    const channel = new FirstPeerChannel(room);
    channel.start({ message: () => {} });
    const heard: unknown[] = [];
    channel.start({ message: (m) => heard.push(m) });
    expect(joins).to.equal(1);
    fake.message('far', offer('v=0'));
    expect(heard, 'the new listener hears').to.deep.equal([offer('v=0')]);
    channel.close();
    channel.start({ message: () => {} });
    expect(joins, 'joined again after close').to.equal(2);
    channel.close();
  });

  it('joins again when the page is shown again from the back/forward cache, unless closed meanwhile', () => {
    const fake = fakeRoom();
    let joins = 0;
    const room: Room = { ...fake.room, join: (listener, meta) => (joins++, fake.room.join(listener, meta)) };
    const { channel, heard } = listened(room);
    fake.join('far');
    const hide = () => window.dispatchEvent(new PageTransitionEvent('pagehide', { persisted: true }));
    const show = () => window.dispatchEvent(new PageTransitionEvent('pageshow', { persisted: true }));
    hide();
    show();
    expect(joins).to.equal(2);
    expect(heard, 'the listener starts over').to.deep.equal(['peer left']);
    fake.join('next');
    fake.message('next', offer('v=0 next'));
    expect(heard).to.deep.equal(['peer left', offer('v=0 next')]);
    hide();
    // The page's own pagehide handler removed the element, which closed its channel.
    channel.close();
    show();
    expect(joins).to.equal(2);
  });

  it('lets a partner go at once when it said goodbye, or vanished with no media flowing', () => {
    const fake = fakeRoom();
    const { channel, heard, media } = listened(fake.room);
    fake.join('a');
    fake.join('b');
    fake.join('c');
    fake.leave('a', 'gone');
    fake.leave('a', 'leave');
    expect(heard, 'a goodbye while away').to.deep.equal(['peer left']);
    media.flowing = false;
    fake.leave('b', 'gone');
    expect(heard, 'gone with no media').to.deep.equal(['peer left', 'peer left']);
    fake.message('c', offer('v=0 c'));
    expect(heard).to.deep.equal(['peer left', 'peer left', offer('v=0 c')]);
    channel.close();
  });
});
