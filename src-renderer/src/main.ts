// Renderer entry: mounts the app once the client (IPC bridge or WebSocket) is connected.
import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';

mount(App, { target: document.getElementById('app')! });
