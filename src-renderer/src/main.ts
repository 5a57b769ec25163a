// Renderer entry: mounts the app at once; App connects the client (IPC bridge or WebSocket) and shows the outcome.
import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';

mount(App, { target: document.getElementById('app')! });
